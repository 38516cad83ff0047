"""MQTT transport: the one home of paho-mqtt (consumer, publisher, embedded broker)."""
