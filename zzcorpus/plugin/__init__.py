"""The Datasette plugin: `datasette corpus.db` opens a corpus browser without any SQL.

- hooks.py: the Datasette hooks (entry point), registering what the other modules hold;
- queries.py: the SQL functions and the canned queries, which call the CLI's own search and
  report functions (search.py, reports.py) and return their rows;
- metadata.py: titles, descriptions, hidden tables and saved reports, read from the corpus;
- pages.py: the chart page and the stylesheet;
- facets.py: the facets of article lists (paper, kind, page, date, script, reporters), counted in memory.

Everything here only reads; it works the same on `datasette -i corpus.db`.
"""
