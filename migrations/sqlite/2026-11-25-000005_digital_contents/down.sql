DROP TABLE digital_content_items;
DROP TABLE digital_contents;
