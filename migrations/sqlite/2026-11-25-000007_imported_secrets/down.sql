DROP TRIGGER imported_secrets_count_update;
DROP TRIGGER imported_secrets_count_delete;
DROP TRIGGER imported_secrets_count_insert;
DROP TABLE imported_secret_blocks;
DROP TABLE imported_secrets;
