from django import template

register = template.Library()


@register.filter
def licence_status(licence, today):
    """(status, label) of a licence on `today`: Licence.status_on, the one definition."""
    return licence.status_on(today), licence.status_label_on(today)
