"""Rate limits on Redis in one round trip a request (portal/rate_limits.py): the count and the
headers from one script, the limits shared through Redis, refusals as before."""

from __future__ import annotations

import pytest

from portal.extensions import limiter
from tests.factories import registered_application

NUMBER = "KEG-IND-2026-000001"


@pytest.fixture
def limited(make_app, redis_later):
    """The portal on a Redis of its own, with the API limited to 3 requests a minute."""
    redis = redis_later()
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="kg" + redis_later.url,
        API_RATE_LIMIT="3/minute",
    )
    with app.app_context():
        registered_application(number=NUMBER)
    yield app, redis
    limiter._storage_dead = False


def commands(redis) -> dict[str, int]:
    stats = redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}


def test_an_api_answer_costs_one_round_trip_to_redis(limited):
    app, redis = limited
    client = app.test_client()
    client.get(f"/api/v1/companies/{NUMBER}")  # the script is loaded, the answer kept
    before = commands(redis)

    response = client.get(f"/api/v1/companies/{NUMBER}")

    after = commands(redis)
    used = {
        name: after[name] - before.get(name, 0)
        for name in after
        if after[name] != before.get(name, 0)
    }
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "1"
    assert int(response.headers["X-RateLimit-Reset"]) > 0
    # The hit is one script, whose own INCRBY and TTL Redis counts too; no GET and no TTL of
    # its own (Flask-Limiter's storage reads the window back with both: three round trips).
    assert used.get("evalsha") == 1
    assert "get" not in used and used.get("ttl") == 1


def test_the_limit_is_counted_in_redis_and_refuses_with_retry_after(limited):
    app, redis = limited
    first, second = app.test_client(), app.test_client()  # two clients, one address

    answers = [first.get(f"/api/v1/companies/{NUMBER}") for _ in range(2)]
    answers.append(second.get(f"/api/v1/companies/{NUMBER}"))
    refused = second.get(f"/api/v1/companies/{NUMBER}")

    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert redis.keys("LIMITS*")  # shared by every process through Redis
