DROP TABLE api_tokens;
DROP TABLE team_limit_events;
DROP TABLE teams;
DROP TABLE events;
DROP TABLE organizers;
