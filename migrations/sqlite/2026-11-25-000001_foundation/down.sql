DROP TABLE api_tokens;
DROP TABLE teams;
DROP TABLE organizers;
