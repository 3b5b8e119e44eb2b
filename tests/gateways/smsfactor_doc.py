"""SMSFactor's doc examples, verbatim, for every test that reads them."""

from __future__ import annotations

DOC_INBOX = """<inbox>
<sms from="\\ 0000000000\\" to="\\ 0000000000\\" date=\\"2011-06-01
12:02:07\\"><![CDATA[My message 1]]></sms>
<sms from="\\ 1111111111\\" to="\\ 0000000000\\" date=\\"2011-06-01
12:02:08\\"><![CDATA[My message 2]]></sms>
</inbox>"""
"""The inbound push of section 3.1, as printed: quotes escaped by the PHP log that produced it,
and each date broken over two lines."""
