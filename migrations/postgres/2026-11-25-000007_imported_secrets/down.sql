DROP TRIGGER imported_secrets_count_update ON imported_secrets;
DROP TRIGGER imported_secrets_count_delete ON imported_secrets;
DROP TRIGGER imported_secrets_count_insert ON imported_secrets;
DROP FUNCTION imported_secret_blocks_move();
DROP FUNCTION imported_secret_blocks_remove();
DROP FUNCTION imported_secret_blocks_add();
DROP TABLE imported_secret_blocks;
DROP TABLE imported_secrets;
