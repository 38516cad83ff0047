"""Emergency command (应急指挥): incidents and their timeline, plans and tasks, resources and
the nearest available units, dispatch orders, warnings (CAP 1.2), cameras."""
