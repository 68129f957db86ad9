DROP TABLE published_items_bigrams;
