"""The web application: the engine in a browser, for partners, the business unit and auditors.

A top layer beside the command line (``cspr.cli``): it may import every engine
layer, and neither it nor the CLI imports the other (ARCHITECTURE.md,
``tests/test_architecture.py``). ``cspr serve`` starts it.

* :mod:`.app` builds the ASGI application: routes, middleware, error pages;
* :mod:`.server` runs it under uvicorn on a socket it binds itself;
* :mod:`.security`, :mod:`.sessions` and :mod:`.csrf` are the request machinery:
  security headers on every response, signed session cookies, CSRF tokens;
* :mod:`.accounts` signs users in against a user directory (:mod:`.stores`: the
  accounts in the database, one store per worker thread);
* :mod:`.permissions` says who may do what, in one place;
* :mod:`.catalog` holds the process versions served; :mod:`.pages`,
  :mod:`.case_pages`, :mod:`.report_pages`, :mod:`.user_pages` and
  :mod:`.account_pages` are the pages, each with a JSON twin under ``/api``, their
  data gathered by :mod:`.views` and :mod:`.case_views`, their inputs generated
  from the definition by :mod:`.forms`; :mod:`.openapi` describes the API;
* :mod:`.rendering` turns a page's data into HTML (Jinja2, autoescaped) or JSON.

Pages are server-rendered and work without JavaScript; the only assets are our
own stylesheet and the diagrams, served from this application.
"""
