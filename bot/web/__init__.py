"""The web view and every HTTP route that is not Slack's, served by the same process. The
modules here are what the domain folders share.

- ``pages_common``: rendering a page: its template, security headers, the viewer's context;
  reading a request's body within a limit.
- ``openapi``: the API's OpenAPI document, generated from the table and the models.
- ``auth``: Sign in with Slack, the session cookie, CSRF, who is asking (and whether a guest).
- ``sessions``: signed cookies: the session, and a sign-in in progress.
- ``visibility``: who may see which incident.
- ``reading``: what pages and the API read, through the viewer's visibility.
- ``filters``: the incident list's filters, read from a query string.
- ``charts``: the charts' geometry, drawn on the server as inline SVG.
- ``context``: what every web handler needs, built once per application.
- ``routing``: what each route is for (a page, the API, a machine), said where it is added.
- ``routes``: the web view's route table (``WEB_ROUTES``: every page, the API (its table:
  ``API_OPERATIONS``, every domain's operations), the status page,
  the calendar feeds, /mcp) and what the pages need around them (``add_web_view``). Its own
  module, not this package's: importing one module of bot/web (``warroom mcp``'s handshake,
  the MCP tools) does not import every page.
- ``monitoring``: every request counted and timed, and ``GET /metrics``.
- ``health``: ``GET /livez`` (the process answers) and ``GET /readyz`` (it can work now,
  part by part: the database, Slack and its token, the queues' lag, the pager).
- ``client_address``: who sent a request, behind the reverse proxies the operator trusts.
- ``notices``: a form's answer said once on the page it redirects to (a token's value too),
  and a form's refusal with what was typed, the same way.
- ``audit``: ``/admin/audit``, the admin record, for warroom's admins.
- ``form_refused``: a posted form the server could not read, sent (303) to a page that says
  so once, never left at the form's POST address.
- ``live_refresh``: a live page's refresh answered 304, no body and no page query, while
  nothing it shows has changed (its version, ``ETag``, sent back): the stamps of the
  families of tables it shows, and until when the clock leaves it as it was.

Its domains, in their order (``DOMAINS`` in tests/test_layers.py):

- ``api/``: the JSON API's shapes (its answers' models, how a handler answers) and its
  document, /api/openapi.json and ``/api/docs``, from every domain's operations.
- ``oncall/``: the on-call pages, charts, calendar feeds and API; a person's own contact
  methods on their page.
- ``insights/``: ``/insights``: headline numbers and charts over the filters' period.
- ``follow_ups/``: the open follow-ups of every incident the viewer may see; the trackers'
  webhooks (an issue closed or reopened).
- ``postmortem/``: the draft's page cut where its written sections stand; Accept and Edit on
  what the team's model suggested; the record's gaps filled from the page (impact, follow-ups);
  the review state (draft, in review, published).
- ``paging/``: acknowledgement links and the phone providers' webhooks.
- ``incident/``: the incident list, one incident, its channel history, the postmortem draft.
- ``alerting/``: the alert and heartbeat webhooks; the alerts' worklist and pages, and their
  API; the services' pages and API; the shadow week's report; the maintenance windows' pages.
- ``changes/``: where change events arrive (PagerDuty's change events, GitHub's webhooks,
  ``POST /api/changes``) and ``/changes`` and ``GET /api/changes``, where they are read.
- ``status_page/``: the public status page and its Atom feed.
- ``agents/``: ``/mcp``, the Model Context Protocol's tools for agents, and its ASGI bridge;
  ``/agents``, the tokens and their use, made and revoked there by warroom's admins.

May import: everything below the incoming layer (``bot.flows``, ``bot.services``,
``bot.clients`` and lower), ``bot.keys`` and its domain folders; nothing of its sibling
folders ``bot.slack`` and ``commands``. A domain imports the modules here (``bot/web/*.py``)
and the domains before it, never one after it.
"""
