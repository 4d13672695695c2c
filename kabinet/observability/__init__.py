"""What an operator watches: probes for load balancers, JSON logs with a request id, metrics.

- ``health``: ``/healthz`` (the process answers) and ``/readyz`` (database, cache, task queue).
- ``logs``: the request id middleware, the access log line, the JSON formatter.
- ``metrics``: Prometheus counters and the local-network ``/metrics`` endpoint.
"""
