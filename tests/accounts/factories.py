import factory
from django.utils import timezone

from sportel.accounts.models import User

PASSWORD = "Kalimtare-e-gjate-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"qytetar{n}@test.sportel.al")
    email = factory.LazyAttribute(lambda u: u.username if "@" in u.username else "")
    phone = factory.LazyAttribute(lambda u: u.username if u.username.startswith("+") else "")
    full_name = factory.Sequence(lambda n: f"Qytetar Test {n}")
    confirmed_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()
