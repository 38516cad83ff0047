"""Emergency command (应急指挥) services the /emergency screen and the API share."""
