"""Month names inside a date, lower-case as Albanian writes them ("28 nëntor 2026").

Django's ``sq`` catalogue capitalises them ("Nëntor"). The ``E`` date format reads the
"alt. month" names, and an app's catalogue outranks Django's own, so web's ``sq`` catalogue
carries the lower-case names; these calls keep ``makemessages`` from dropping them.
"""

from django.utils.translation import pgettext_lazy

MONTHS_IN_DATES = [
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
]
