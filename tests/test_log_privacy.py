"""Logs never carry the applicant's keys: the SMS log gateway and the log sender mask the access
code and the rating link's key; gunicorn's access log writes paths without query strings and
masks rating keys."""

import datetime as dt
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from applications import notifications
from applications.models import Notification
from operations.access_log import PrivateAccessLogger, private_path

from .applicant_helpers import rating_key, take_to_delivery

ROOT = Path(__file__).resolve().parent.parent


def logged(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records)


def test_the_sms_log_gateway_masks_the_access_code(accepted, caplog):
    sms = accepted.notifications.get(event=Notification.Event.ACCEPTED, channel="sms")
    assert accepted.access_code in sms.text
    with caplog.at_level(logging.INFO, logger="applications.notifications"):
        notifications.LogSmsGateway().send_sms(sms.recipient, sms.text, reference="n-1")
    text = logged(caplog)
    assert accepted.receipt_number in text  # the message is there,
    assert accepted.access_code not in text and "****" in text  # its code is not


def test_the_log_sender_masks_code_and_rating_key(accepted, center, caplog):
    delivered = take_to_delivery(accepted, center)
    key = rating_key(delivered)
    with caplog.at_level(logging.INFO, logger="applications.notifications"):
        for message in delivered.notifications.all():
            notifications.LogSender().send(message)
            notifications.LogSmsGateway().send_sms(message.recipient, message.text, reference="r")
    text = logged(caplog)
    assert "/track/rate/****/" in text
    assert key not in text
    assert delivered.access_code not in text


@pytest.mark.parametrize(
    "text",
    ["查询码ABCD2345，", "access code ABCD2345.", "code: ZZZZZZZZ", "(23456789)"],
)
def test_anything_shaped_like_a_code_is_masked_in_the_log(text):
    assert "****" in notifications.for_log(text)


def test_receipt_numbers_and_words_stay_in_the_log():
    text = "Application 2026000001 of Zhejiang Qingshan is completed"
    assert notifications.for_log(text) == text


def access_atoms(raw_uri: str, referrer: str = "-") -> dict:
    config = Config()
    config.set("logger_class", "operations.access_log.PrivateAccessLogger")
    logger = PrivateAccessLogger(config)
    path = raw_uri.split("?", 1)[0]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": raw_uri.partition("?")[2],
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.9",
        "HTTP_REFERER": referrer,
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referrer)])
    return logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))


def test_gunicorns_access_log_has_no_query_string_and_no_rating_key():
    atoms = access_atoms(
        "/track/?number=2026000001&code=ABCD2345",
        referrer="https://center.example/track/?number=2026000001&code=ABCD2345",
    )
    line = '{h} "{r}" {s} {b} {M}ms'.format(**atoms)
    assert line.startswith('10.0.0.9 "GET /track/ HTTP/1.1" 200')
    assert "ABCD2345" not in repr(atoms)
    assert atoms["f"] == "https://center.example/track/"
    atoms = access_atoms("/track/rate/s3cretKey_-x/")
    assert atoms["r"] == "GET /track/rate/****/ HTTP/1.1" and atoms["U"] == "/track/rate/****/"
    assert private_path("/reviews/12/?page=2") == "/reviews/12/"


def test_gunicorn_uses_the_private_access_logger():
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["logger_class"] == "operations.access_log.PrivateAccessLogger"
    assert "%(q)s" not in config["access_log_format"]
