DROP TABLE device_limit_events;
DROP TABLE devices;
