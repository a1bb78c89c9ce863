# ruff: noqa: A005 (tests.http mirrors setsmart.http; never imported as a top-level http)
