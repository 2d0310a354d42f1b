"""The suite. A folder for each layer or feature of the code, named as the source's, holds the
tests of what is there; a file that tested several went to the folder of each:

- layers: ``basics/`` (bot/basics/), ``store/``, ``record/``, ``settings/`` (bot/config.py),
  ``clients/``, ``flows/``, ``slack/``, ``commands/``, ``web/``, ``application/`` (bot/app.py,
  server.py, cli.py, admin/, and the running process: health, metrics, logs);
- features, one folder per domain of bot/ (its flows, record and commands tested together):
  ``agents/``, ``alerting/``, ``changes/``, ``escalation/``, ``follow_ups/``, ``home/``,
  ``incident/``, ``insights/``, ``oncall/``, ``paging/``, ``postmortem/``, ``types/``,
  ``workflows/``, ``status_page/``; a layer's folder keeps what crosses the domains
  (``flows/``: ordering, lanes, replicas, rights; ``web/``: what every page shares, the walks
  over every route, the rights and the hardening; a domain's pages are tested with the
  domain, ``chromium`` in tests/conftest.py);
- beside the product: ``emulator/``, ``bench/``, ``deploy/`` (compose, Kubernetes, the image);
- ``helpers/``: what tests share (declaring an incident, signing a Slack request, waiting for a
  post, the fakes and in-memory records); fixtures stay in ``conftest.py`` files;
- data: ``golden/`` (the expected drafts) and ``payloads/`` (alert bodies as monitors send them).

At this root only the checks of the whole repository: ``test_layers`` (who may import whom),
``test_map`` (the manual's Layout and the package docstrings agree with the tree, and this
folder keeps to the rule above), ``test_readme`` (the README's commands are CI's),
``test_manual`` (docs/ builds as a site with no broken link, and the README's links
resolve), ``test_tests`` (the running bot, ``warroom``, is defined in ``conftest`` alone), and
``conftest`` (the fixtures every test uses, ``warroom`` and its factory ``warroom_with``).
tests/test_map.py fails on any other module here and on a folder this docstring or the
README's Layout does not name.
"""
