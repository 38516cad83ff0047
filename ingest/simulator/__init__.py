"""The demo-city simulator (`cityops simulate`): a live day of the city over MQTT."""
