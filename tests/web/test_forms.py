"""{{ form }} renders GOV.UK fields: label, hint, error next to the field, error summary on top."""

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation
from lxml import html

from sportel.web.forms import GovukFormRenderer, TelInput


class ApplicationForm(forms.Form):
    full_name = forms.CharField(label="Full name", help_text="As on your identity card")
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(label="Phone", widget=TelInput)
    household = forms.IntegerField(label="People in the household", min_value=1)
    born = forms.DateField(label="Date of birth")
    channel = forms.ChoiceField(
        label="How should we contact you?",
        choices=[("email", "By email"), ("sms", "By SMS")],
        widget=forms.RadioSelect,
        help_text="Choose one",
    )
    documents = forms.MultipleChoiceField(
        label="Documents you have",
        choices=[("id", "Identity card"), ("deed", "Property deed")],
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.ChoiceField(label="Administrative unit", choices=[("", ""), ("dajc", "Dajç")])
    declaration = forms.BooleanField(label="I declare this is true", help_text="Required by law")
    details = forms.CharField(label="Details", widget=forms.Textarea)
    attachment = forms.FileField(label="Attachment", required=False)
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5"}),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        if self.data.get("full_name") == "Nobody":
            raise forms.ValidationError("We could not find this application.")
        return super().clean()


def render(template: str, **context) -> html.HtmlElement:
    return html.fromstring(f"<div>{Template(template).render(Context(context))}</div>")


def test_the_project_renders_forms_with_the_govuk_renderer(settings):
    assert settings.FORM_RENDERER == "sportel.web.forms.GovukFormRenderer"
    assert isinstance(ApplicationForm().renderer, GovukFormRenderer)


def test_every_visible_control_has_a_label_or_legend():
    doc = render("{{ form }}", form=ApplicationForm())
    for control in doc.xpath("//input[@type!='hidden'] | //select | //textarea"):
        labels = doc.xpath(f"//label[@for='{control.get('id')}']")
        assert labels, f"no label for {control.get('name')}"
    legends = [legend.text_content().strip() for legend in doc.xpath("//fieldset/legend")]
    assert legends == ["How should we contact you?", "Documents you have"]


def test_each_widget_gets_its_govuk_markup():
    doc = render("{{ form }}", form=ApplicationForm())
    by_name = {el.get("name"): el for el in doc.xpath("//input | //select | //textarea")}
    assert by_name["full_name"].get("class") == "govuk-input"
    assert by_name["email"].get("type") == "email"
    assert by_name["phone"].get("type") == "tel"
    assert by_name["household"].get("type") == "number"
    assert by_name["born"].get("type") == "date"
    assert by_name["unit"].get("class") == "govuk-select"
    assert by_name["details"].get("class") == "govuk-textarea"
    assert by_name["attachment"].get("class") == "govuk-file-upload"
    assert by_name["declaration"].get("class") == "govuk-checkboxes__input"
    assert by_name["postcode"].get("class") == "govuk-input govuk-input--width-5"
    assert by_name["token"].get("type") == "hidden"
    assert doc.xpath(
        "//div[@class='govuk-radios']/div[@class='govuk-radios__item']/input[@value='sms']"
    )
    assert len(doc.xpath("//div[@class='govuk-checkboxes']//input[@name='documents']")) == 2
    # Server-side messages, not the browser's untranslated bubbles, say what is missing.
    assert not doc.xpath("//*[@required]")


def test_an_optional_field_says_so_in_its_label():
    with translation.override("en"):
        doc = render("{{ form }}", form=ApplicationForm())
    assert doc.xpath("string(//label[@for='id_email'])").strip() == "Email (optional)"
    assert doc.xpath("string(//label[@for='id_full_name'])").strip() == "Full name"


def test_the_hint_is_announced_with_the_field():
    doc = render("{{ form }}", form=ApplicationForm())
    name = doc.xpath("//input[@name='full_name']")[0]
    assert name.get("aria-describedby") == "id_full_name_helptext"
    assert doc.xpath("string(//*[@id='id_full_name_helptext'])") == "As on your identity card"
    fieldset = doc.xpath("//fieldset[.//input[@name='channel']]")[0]
    assert fieldset.get("aria-describedby") == "id_channel_helptext"


def invalid_form(**data) -> ApplicationForm:
    form = ApplicationForm({"full_name": "", "household": "0", "born": "2026-02-30", **data})
    assert not form.is_valid()
    return form


def test_an_error_is_shown_next_to_its_field_and_announced_with_it():
    with translation.override("en"):
        doc = render("{{ form }}", form=invalid_form())
    group = doc.xpath(
        "//div[contains(@class, 'govuk-form-group--error')][.//input[@name='full_name']]"
    )
    assert group, "the field's group is not marked as in error"
    message = doc.xpath("//p[@id='id_full_name_error']")[0]
    assert "govuk-error-message" in message.get("class")
    assert message.text_content().strip() == "Error: This field is required."
    field = doc.xpath("//input[@name='full_name']")[0]
    assert field.get("aria-describedby") == "id_full_name_helptext id_full_name_error"
    assert field.get("class") == "govuk-input govuk-input--error"
    household = doc.xpath("//input[@name='household']")[0]
    assert household.get("value") == "0", "what the user typed is kept"
    assert "govuk-input--error" in household.get("class")
    radios = doc.xpath("//fieldset[.//input[@name='channel']]")[0]
    assert radios.get("aria-describedby") == "id_channel_helptext id_channel_error"
    checkbox = doc.xpath("//input[@name='declaration']")[0]
    assert checkbox.get("aria-describedby") == "id_declaration_helptext id_declaration_error"


def test_the_error_summary_lists_every_error_and_links_to_its_field():
    with translation.override("en"):
        doc = render("{{ form }}", form=invalid_form(full_name="Nobody"))
    summary = doc.xpath("//div[@class='govuk-error-summary']")
    assert len(summary) == 1
    first_group = doc.xpath("//div[contains(@class, 'govuk-form-group')]")[0]
    assert summary[0].getparent().index(summary[0]) < summary[0].getparent().index(first_group)
    assert summary[0].xpath("string(.//h2)").strip() == "There is a problem"
    assert summary[0].xpath(".//*[@role='alert']")
    links = {a.get("href"): a.text_content() for a in summary[0].xpath(".//a")}
    assert links["#id_household"].startswith("People in the household: ")
    assert "#id_channel_0" in links, "a radio group links to its first radio"
    assert "#id_documents_0" in links
    assert "We could not find this application." in summary[0].text_content()
    # Every link points at an element on the page.
    for href in links:
        assert doc.xpath(f"//*[@id='{href[1:]}']"), href
    # The form-wide error is also shown in the form itself.
    assert "We could not find this application." in doc.xpath("string(//*[@id='form-errors'])")


def test_a_page_can_put_the_summary_above_its_heading_without_a_second_one():
    form = invalid_form()
    doc = render(
        '{% include "web/error_summary.html" %}<h1>Apply</h1><form>{{ form }}</form>', form=form
    )
    assert len(doc.xpath("//div[@class='govuk-error-summary']")) == 1
    assert doc.xpath("//div[@class='govuk-error-summary']/following-sibling::h1")


def test_a_valid_or_unbound_form_has_no_summary():
    assert not render(
        "{% include 'web/error_summary.html' %}{{ form }}", form=ApplicationForm()
    ).xpath("//div[@class='govuk-error-summary']")


def test_messages_and_summary_are_in_albanian_on_albanian_pages():
    with translation.override("sq"):
        doc = render("{{ form }}", form=invalid_form())
    assert doc.xpath("string(//div[@class='govuk-error-summary']//h2)").strip() == "Ka një problem"
    assert doc.xpath("string(//p[@id='id_full_name_error'])").strip().startswith("Gabim:")
    assert doc.xpath("string(//label[@for='id_email'])").strip() == "Email (opsionale)"


def test_a_date_is_posted_and_shown_as_an_iso_date_for_the_date_picker():
    form = ApplicationForm({"born": "2026-11-28"})
    form.is_valid()
    assert form.cleaned_data["born"].isoformat() == "2026-11-28"
    doc = render("{{ form }}", form=form)
    assert doc.xpath("//input[@name='born']")[0].get("value") == "2026-11-28"


def test_a_model_form_renders_through_the_same_templates(db):
    from sportel.core.models import Person

    class PersonForm(forms.ModelForm):
        class Meta:
            model = Person
            fields = ["first_name", "last_name", "birth_date", "preferred_language"]

    with translation.override("sq"):
        doc = render("{{ form }}", form=PersonForm())
    assert doc.xpath("string(//label[@for='id_first_name'])").strip() == "Emri"
    assert doc.xpath("//select[@name='preferred_language'][@class='govuk-select']")


@pytest.mark.parametrize("attr", ["class", "aria-describedby"])
def test_a_hidden_field_gets_no_visible_field_markup(attr):
    doc = render("{{ form }}", form=invalid_form())
    assert doc.xpath("//input[@name='token']")[0].get(attr) is None


def test_as_div_and_as_p_render_like_the_form_itself():
    form = invalid_form()
    for method in ("as_div", "as_p"):
        doc = render("{{ form." + method + " }}", form=form)
        assert doc.xpath("//div[contains(@class, 'govuk-form-group--error')]"), method
        form._error_summary_shown = False


def test_a_hand_written_label_or_legend_is_a_govuk_one():
    form = ApplicationForm()
    label = html.fromstring(str(form["full_name"].label_tag()))
    assert label.get("class") == "govuk-label"
    assert label.text_content() == "Full name", "no trailing colon"
    legend = html.fromstring(str(form["channel"].legend_tag()))
    assert legend.tag == "legend" and legend.get("class") == "govuk-fieldset__legend"


def test_the_admin_keeps_its_own_date_widget(db):
    from django.contrib.admin.widgets import AdminDateWidget

    class AdminLike(forms.Form):
        day = forms.DateField(widget=AdminDateWidget)

    doc = render("{{ form.day }}", form=AdminLike())
    assert doc.xpath("//input[@name='day']")[0].get("type") == "text"
