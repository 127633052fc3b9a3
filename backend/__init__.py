"""Reference eligibility service: the API of DESIGN §4.1 over demo data in SQLite."""
