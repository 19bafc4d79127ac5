"""Downloader middlewares: how nianbaoku fetches — politely, and never mistaking a block for content.

One concern per module, each configured from `crawler.settings` (its block names the settings), each
with its decision as a public pure function the class wraps:

=================  =====  ==============================================================================
module             order  job
=================  =====  ==============================================================================
``politeness``     610    per-host gate: one request in flight per host, pauses for Retry-After and
                          exponential back-off, circuit breaker dropping requests to a host that keeps
                          failing (`HostGate`, `failure_pause`)
``encoding``       588    the right text encoding from the bytes when headers lie (`decide_encoding`)
``challenge``      585    WAF/anti-bot pages → `BlockedByChallenge` + ``blocked:<kind>`` ledger, never
                          passed on, not retried except ``rate429`` (`parsers.challenge.classify_challenge`)
``conditional``    560    If-None-Match / If-Modified-Since from the last capture; 304 → "not modified"
                          (`wants_conditional`, `validators_from_headers`)
=================  =====  ==============================================================================

Why this order (``DOWNLOADER_MIDDLEWARES`` in crawler/settings.py; requests go up the numbers,
responses come down them; Scrapy's Retry is 550, MetaRefresh 580, HttpCompression 590, Redirect 600):

- politeness is the last hop of a request, so the gate decides at the moment the request would
  leave, and the first of a response, so it releases the host and counts a 5xx/429 before Redirect
  or Retry turn the response into another request;
- encoding and challenge need the inflated body, so they sit under HttpCompression; challenge sits
  above MetaRefresh and Retry, so a challenge's reload is never followed and a challenge never retried;
- conditional adds its headers to requests that are about to pass the gate and marks a 304 before
  Retry or the spider middlewares see it.

The challenge middleware tells the circuit breaker about each challenge through the
`challenge.challenge_detected` signal, so either can be switched off alone.
"""
