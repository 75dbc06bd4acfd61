"""smpplib against Ferry's SMSC: a gateway (transceiver) submits the
segments given on the command line as one concatenated WAP push to a
handset bound as receiver with its MSISDN, asking for delivery receipts.
Prints one JSON object: what each side received.

usage: smpplib_wap_push.py HOST PORT MSISDN SEGMENT_HEX...
"""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
import smpplib.client  # noqa: E402
import smpplib.consts  # noqa: E402

host, port, msisdn = sys.argv[1], int(sys.argv[2]), sys.argv[3]
segments = [bytes.fromhex(h) for h in sys.argv[4:]]

out = {"bind_bad_password": None, "submit_ids": [], "delivered": [], "receipts": []}

# A wrong password is refused with ESME_RINVPASWD (14).
bad = smpplib.client.Client(host, port, allow_unknown_opt_params=True)
bad.connect()
try:
    bad.bind_transmitter(system_id="gw", password="nope")
    out["bind_bad_password"] = 0
except smpplib.exceptions.PDUError as e:
    out["bind_bad_password"] = e.args[1]
bad.disconnect()

handset = smpplib.client.Client(host, port, allow_unknown_opt_params=True)
handset.connect()
handset.bind_receiver(system_id="handset", password="phone", address_range=msisdn)


def on_deliver(pdu, **kw):
    out["delivered"].append({
        "short_message": bytes(pdu.short_message).hex(),
        "esm_class": pdu.esm_class,
        "data_coding": pdu.data_coding,
        "source": pdu.source_addr.decode() if isinstance(pdu.source_addr, bytes) else pdu.source_addr,
        "more_messages_to_send": getattr(pdu, "more_messages_to_send", None),
    })


handset.set_message_received_handler(on_deliver)

gw = smpplib.client.Client(host, port, allow_unknown_opt_params=True)
gw.connect()
gw.bind_transceiver(system_id="gw", password="gwpass")


def on_sent(pdu, **kw):
    mid = pdu.message_id
    out["submit_ids"].append(mid.decode() if isinstance(mid, bytes) else mid)


def on_receipt(pdu, **kw):
    rid = getattr(pdu, "receipted_message_id", None)
    out["receipts"].append({
        "esm_class": pdu.esm_class,
        "text": bytes(pdu.short_message).decode("latin-1"),
        "receipted_message_id": rid.decode() if isinstance(rid, bytes) else rid,
        "message_state": getattr(pdu, "message_state", None),
    })


gw.set_message_sent_handler(on_sent)
gw.set_message_received_handler(on_receipt)

for i, seg in enumerate(segments):
    kw = {}
    if i < len(segments) - 1:
        kw["more_messages_to_send"] = 1
    gw.send_message(
        source_addr_ton=smpplib.consts.SMPP_TON_INTL,
        source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        source_addr="9200",
        dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
        dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        destination_addr=msisdn,
        short_message=seg,
        esm_class=0x43,
        data_coding=0x04,
        registered_delivery=1,
        **kw,
    )

deadline = time.time() + 15
n = len(segments)
while time.time() < deadline and (
    len(out["delivered"]) < n or len(out["receipts"]) < n or len(out["submit_ids"]) < n
):
    gw.poll()
    handset.poll()
    time.sleep(0.01)

for c in (gw, handset):
    try:
        c.unbind()
    except Exception:
        pass
    c.disconnect()
print(json.dumps(out))
