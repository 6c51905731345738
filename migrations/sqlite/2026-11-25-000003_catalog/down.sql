DROP TABLE quota_variations;
DROP TABLE quota_items;
DROP TABLE quotas;
DROP TABLE subevents;
DROP TABLE item_variations;
DROP TABLE items;
