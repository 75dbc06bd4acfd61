"""aiosmtpd handler for ferry-interconnect's tests: writes each message
received to FOLDER/msgN.eml (raw bytes, as received) and its envelope to
FOLDER/msgN.env, then answers 250.

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd_save.Save FOLDER
"""
import os


class Save:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("aiosmtpd_save.Save needs one argument: the folder")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, "msg%d" % self.count)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        with open(base + ".env", "w") as f:
            f.write(envelope.mail_from + "\n")
            for r in envelope.rcpt_tos:
                f.write(r + "\n")
        with open(base + ".tmp", "wb") as f:
            f.write(data)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK saved"
