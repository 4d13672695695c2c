"""What a login may look like.

Only ASCII letters, digits and ``. _ -``: a login with a Cyrillic «а» looks exactly like «admin»
and could pass for staff in a message or in the back office's lists (homoglyph spoofing).
"""

from django.core.validators import RegexValidator

USERNAME_MESSAGE = (
    "Имя пользователя может содержать только латинские буквы, цифры и знаки «.», «_» и «-»."
)

validate_username = RegexValidator(r"\A[A-Za-z0-9._-]+\Z", USERNAME_MESSAGE, code="invalid")

# ACCOUNT_USERNAME_VALIDATORS: allauth's sign-up and the profile's login change run these.
username_validators = [validate_username]
