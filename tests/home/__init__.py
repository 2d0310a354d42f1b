"""Tests of the home domain: what each person reads on the App Home tab."""
