"""Tests of `warroom import` (bot/admin/importing/importing.py, bot/clients/importing.py and each
vendor's client, bot/record/oncall/importing/), each against a fake of the vendor's API over
real HTTP on 127.0.0.1 (emulator/): ``running`` runs the command as people do, a process of its
own."""
