"""Helpers other modules' tests may use: staff login in a browser, with the TOTP step."""

from django_otp.oath import TOTP


def current_totp(user) -> str:
    """The code the staff member's authenticator app shows now."""
    device = user.totpdevice_set.filter(confirmed=True).first() or user.totpdevice_set.first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def browser_login(page, login: str, password: str, *, next_url: str = "") -> None:
    """Log in through the login page (Albanian labels, the default language)."""
    page.goto("/account/login/" + (f"?next={next_url}" if next_url else ""))
    page.locator("input[name=username]").fill(login)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").first.click()


def browser_pass_totp(page, user) -> None:
    """On the 2FA page: type the code the user's authenticator shows now."""
    page.wait_for_url("**/account/2fa/**")
    page.locator("input[name=token]").fill(current_totp(user))
    page.locator("main form button[type=submit]").first.click()


def browser_staff_login(page, user, password: str = "a-long-test-password") -> None:
    """Log a staff user in, passing the TOTP step with the code from their device."""
    browser_login(page, user.username, password)
    browser_pass_totp(page, user)
