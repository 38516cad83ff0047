"""The indicator system of the leader cockpit (SPEC §2.7): periods, declared indicators
(``models/data/indicators.yaml``), their measures, values, city score and drill-down."""
