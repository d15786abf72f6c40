"""Did the receiving mail server vouch for the sender? Its ``Authentication-Results`` read.

Only the results of the server named by MAIL_AUTHSERV_ID count: anybody can write an
Authentication-Results header, and the receiving server removes the ones that claim its name
(RFC 8601 §5), so the topmost header with that name is its own. Anything else is ignored.

A message passes when DMARC passed, or when DMARC did not fail and SPF or DKIM passed for a
domain aligned with the From's (the same domain, or one within the other). DMARC failing fails
it; so does no SPF or DKIM pass aligned with the From, and no results at all from the trusted
server. With no MAIL_AUTHSERV_ID, nothing is checked ("" below): a developer's machine.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import authres

PASS = "pass"
NOT_CHECKED = ""
DMARC_FAIL = "dmarc_fail"
SPF_DKIM_FAIL = "spf_dkim_fail"  # neither passed for the From's domain
NO_RESULTS = "no_results"  # the trusted server said nothing about this message

# Where each method's results name the domain they vouch for (RFC 8601 §2.7).
_DOMAIN_PROPERTIES = {
    "spf": ("smtp.mailfrom", "smtp.helo"),
    "dkim": ("header.d", "header.i"),
}


def verdict(
    results: Iterable[str],
    from_address: str,
    authserv_id: str,
    *,
    dkim_domains: Collection[str] | None = None,
) -> str:
    """PASS, or why not (DMARC_FAIL, SPF_DKIM_FAIL, NO_RESULTS); NOT_CHECKED without an
    ``authserv_id`` and without ``dkim_domains``. ``from_address``: the From's addresses,
    joined by ", " when it has several (DMARC checks none of those: RFC 7489 §6.6.1).
    ``results``: the raw Authentication-Results
    values, topmost first. ``dkim_domains``: the domains of the signatures verified here (None
    when this host does not verify them)."""
    domain = from_address.rpartition("@")[2].lower()
    if "," in from_address:  # several From addresses: no one domain to authenticate
        return SPF_DKIM_FAIL if authserv_id or dkim_domains is not None else NOT_CHECKED
    if dkim_domains is not None and any(_aligned(d, domain) for d in dkim_domains):
        return PASS  # an aligned DKIM signature verified here: DMARC itself would pass
    if not authserv_id:
        return NOT_CHECKED if dkim_domains is None else SPF_DKIM_FAIL
    trusted = _trusted(results, authserv_id)
    if trusted is None:
        return NO_RESULTS
    found = _by_method(trusted, domain)
    if "fail" in found.get("dmarc", ()):
        return DMARC_FAIL
    if PASS in found.get("dmarc", ()) or PASS in found.get("aligned", ()):
        return PASS
    return SPF_DKIM_FAIL


def passed(authentication: str) -> bool:
    """Whether a stored verdict lets the message be trusted (not checked counts as passed)."""
    return authentication in (PASS, NOT_CHECKED)


def _trusted(
    results: Iterable[str], authserv_id: str
) -> authres.AuthenticationResultsHeader | None:
    for value in results:
        try:
            header = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {value}")
        except Exception:  # authres raises its own syntax errors: a header we cannot read
            continue
        if str(header.authserv_id).lower() == authserv_id.lower():
            return header
    return None


def _by_method(header: authres.AuthenticationResultsHeader, domain: str) -> dict[str, set[str]]:
    """Each method's results; "aligned" collects SPF and DKIM results for the From's domain."""
    found: dict[str, set[str]] = {}
    for result in header.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "dmarc" and outcome == PASS and not _about(result, domain):
            continue  # a DMARC pass for another From domain vouches for nothing here
        found.setdefault(method, set()).add(outcome)
        if method in _DOMAIN_PROPERTIES and _vouches_for(result, method, domain):
            found.setdefault("aligned", set()).add(outcome)
    return found


def _about(result: authres.AuthenticationResult, domain: str) -> bool:
    """Whether a DMARC result is about the From's domain (its header.from, when it says)."""
    for prop in getattr(result, "properties", None) or []:
        if f"{prop.type}.{prop.name}".lower() == "header.from":
            return str(prop.value).lower().strip(".") == domain
    return True


def _vouches_for(result: authres.AuthenticationResult, method: str, domain: str) -> bool:
    for prop in getattr(result, "properties", None) or []:
        name = f"{prop.type}.{prop.name}".lower()
        if name in _DOMAIN_PROPERTIES[method]:
            return _aligned(str(prop.value).rpartition("@")[2], domain)
    return False


def _aligned(vouched: str, domain: str) -> bool:
    """Relaxed alignment, without a public-suffix list: the same domain, or one within the
    other (mail.boulangerie.example and boulangerie.example)."""
    vouched, domain = vouched.lower().strip("."), domain.lower().strip(".")
    if not vouched or not domain or "." not in vouched or "." not in domain:
        return False
    return vouched == domain or vouched.endswith("." + domain) or domain.endswith("." + vouched)
