"""Tests of workflows: bot/record/workflows/, bot/flows/workflows/ and `warroom workflows`."""
