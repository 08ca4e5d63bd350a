def test_home_lists_municipalities_and_is_accessible(page, shkoder, accessible):
    page.goto("/")
    assert page.locator("h1").first.is_visible()
    page.get_by_role("link", name="Shkodër").click()
    assert "/shkoder/" in page.url
    assert page.get_by_text("Velipojë").is_visible()
    accessible(page)
