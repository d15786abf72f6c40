"""Files every host reaches: kept in the database, in chunks (or in an S3 bucket)."""
