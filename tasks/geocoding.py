"""Looking up a typed address on the geocoder, after the webhook has answered.

The webhook enqueues it once its transaction has committed; the use case is
`core.conversations.address_lookup`. Safe to run twice: a lookup already answered
is left alone.
"""

from __future__ import annotations

import requests
from celery import shared_task

from core.conversations.address_lookup import look_up_address
from tasks.context import SoSoftTask

LOOKUP_TASK = "tasks.geocoding.look_up_address"


@shared_task(name=LOOKUP_TASK, bind=True, ignore_result=True)
def look_up_address_task(self: SoSoftTask, conversation_id: int, message_id: int) -> str | None:
    with requests.Session() as http:
        return look_up_address(self.database, self.settings, http, conversation_id, message_id)
