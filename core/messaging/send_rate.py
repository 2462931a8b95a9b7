"""Per-sender send rate, shared by every worker through Redis.

Twilio throttles each sender (an SMS long code sends about one segment a second, a
WhatsApp sender tens of messages a second); going faster only fills Twilio's queue or
earns 429s. Workers therefore book a time slot per sender before sending.

The algorithm is GCRA, the "virtual scheduling" form of a token bucket: Redis keeps the
theoretical arrival time (TAT) of the next send. Booking a message of `cost` units at
`rate` units/s returns how long to wait (TAT - now) and moves TAT on by cost/rate. One
Lua script does it atomically with Redis's clock, so workers on several machines with
skewed clocks share one schedule. An SMS costs its segment count, a WhatsApp message 1.
"""

from __future__ import annotations

from redis import Redis

from core.config import Settings
from core.messaging.gateway import segments

KEY_PREFIX = "sosoft:send-rate:"

# KEYS[1] the sender's TAT; ARGV[1] seconds this send occupies; ARGV[2] the longest
# acceptable wait. Returns {booked 0|1, wait seconds as a string} (Lua numbers returned
# to Redis are truncated to integers).
_BOOK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local occupies = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now
if wait > max_wait then
  return {0, tostring(wait)}
end
local next_tat = tat + occupies
redis.call('SET', KEYS[1], tostring(next_tat), 'PX', math.ceil((next_tat - now) * 1000) + 1000)
return {1, tostring(wait)}
"""


class SendRate:
    """Books send slots for senders; see the module docstring."""

    def __init__(self, redis_client: Redis, settings: Settings) -> None:
        self.redis = redis_client
        self.settings = settings
        self._book = redis_client.register_script(_BOOK)

    def per_second(self, channel: str) -> float:
        if channel == "sms":
            return self.settings.SMS_MESSAGES_PER_SECOND
        return self.settings.WHATSAPP_MESSAGES_PER_SECOND

    def book(self, channel: str, sender: str, cost: float, max_wait: float) -> tuple[bool, float]:
        """Book a slot for `cost` units; (True, wait) to send after `wait` seconds,
        (False, wait) when the next slot is further off than `max_wait` (nothing booked)."""
        occupies = cost / self.per_second(channel)
        booked, wait = self._book(
            keys=[f"{KEY_PREFIX}{channel}:{sender}"], args=[repr(occupies), repr(max_wait)]
        )
        return bool(int(booked)), float(wait)


def cost_of(channel: str, body: str | None) -> int:
    """SMS are throttled per segment; WhatsApp per message."""
    if channel == "sms":
        return segments(body or "")
    return 1
