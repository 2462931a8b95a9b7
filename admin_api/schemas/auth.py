"""Sign-in requests and the token bundle."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin_api.schemas.tickets import Text
from admin_api.schemas.users import UserSchema
from core.models.people import LOCALES

_PHONE = fields.Str(
    required=True,
    validate=validate.Length(max=100),
    metadata={"description": "A mobile number, e.g. 05321234567 or +90 532 123 45 67"},
)
_CODE = fields.Str(
    required=True,
    validate=validate.Regexp(r"^\d{6}$", error="the code is 6 digits"),
    metadata={"description": "The 6-digit code sent by SMS or WhatsApp"},
)


class RequestOtpSchema(Schema):
    phone_number = _PHONE


class OtpSentSchema(Schema):
    message = fields.Str()
    expires_in = fields.Int(metadata={"description": "Seconds the code stays valid"})


class VerifyOtpSchema(Schema):
    phone_number = _PHONE
    code = _CODE


class RegisterSchema(Schema):
    phone_number = _PHONE
    otp_code = _CODE
    full_name = Text(required=True, validate=validate.Length(min=1, max=120))
    locale = fields.Str(load_default=None, validate=validate.OneOf(LOCALES))


class RefreshSchema(Schema):
    refresh_token = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class TokenBundleSchema(Schema):
    access_token = fields.Str()
    refresh_token = fields.Str()
    token_type = fields.Str(metadata={"example": "bearer"})
    expires_in = fields.Int(metadata={"description": "Seconds the access token stays valid"})
    user = fields.Nested(UserSchema)
