"""Django's SMTP backend, with header lines allowed up to RFC 5322's 998 characters.

Django serialises a message with `email.policy.SMTP`, whose 78-character folding turns a long
word without spaces into RFC 2047 encoded-words. A `List-Unsubscribe: <https://…/u/…>` header
longer than that then arrives as `=?utf-8?q?=3Chttps=3A//…?=`, which RFC 2369 does not allow and
mail clients do not read as a link, so their one-click unsubscribe (RFC 8058) would not show.
"""

from __future__ import annotations

import email.policy
import smtplib

from django.core.mail import EmailMessage
from django.core.mail.backends import smtp

# 78 stays a SHOULD for lines that can be folded at spaces (subjects still fold there).
POLICY = email.policy.SMTP.clone(max_line_length=998)


class EmailBackend(smtp.EmailBackend):
    def _send(self, email_message: EmailMessage) -> bool:
        # Django's own `_send`, but for the policy.
        if not email_message.recipients():
            return False
        from_email = self.prep_address(email_message.from_email)
        recipients = [self.prep_address(addr) for addr in email_message.recipients()]
        message = email_message.message(policy=POLICY)
        assert self.connection is not None  # opened by send_messages before it calls _send
        try:
            self.connection.sendmail(from_email, recipients, message.as_bytes())
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
