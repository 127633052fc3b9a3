"""PostgreSQL as the records store (psycopg 3, psycopg_pool): for sites past one machine."""
