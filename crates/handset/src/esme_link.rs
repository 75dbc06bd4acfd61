//! The real SMS attachment: an SMPP session (`ferry-esme`) bound to the
//! SMSC as a phone is in a Ferry network, receiver (or transceiver) with
//! the MSISDN (international, without `+`) as `address_range`, TON
//! international, NPI ISDN. Every deliver_sm / data_sm becomes an
//! [`InboundSms`] and is accepted (`ESME_ROK`) once handed to the phone;
//! delivery receipts (a phone asks for none) are accepted and dropped.

use ferry_esme::{BindMode, Esme, EsmeConfig, Inbound};
use ferry_service::Shutdown;
use ferry_smpp::{Body, Npi, Ton};
use tokio::sync::mpsc;

use crate::config::SmscConfig;
use crate::sms::{InboundSms, SmsLink};

/// An SMPP session carrying a phone's short messages.
#[derive(Debug)]
pub struct EsmeLink {
    esme: Esme,
    inbound: mpsc::Receiver<Inbound>,
}

impl EsmeLink {
    /// Starts the session (it connects, binds and reconnects by itself
    /// until `shutdown`).
    pub fn start(smsc: &SmscConfig, msisdn: &str, shutdown: Shutdown) -> anyhow::Result<Self> {
        let mut c = EsmeConfig::new(
            smsc.address.clone(),
            smsc.system_id.clone(),
            smsc.password.clone(),
        );
        c.name = format!("phone-{msisdn}");
        c.bind = if smsc.transceiver {
            BindMode::Transceiver
        } else {
            BindMode::Receiver
        };
        c.system_type = smsc.system_type.clone();
        c.address_range = msisdn.trim_start_matches('+').to_owned();
        c.addr_ton = Ton::INTERNATIONAL;
        c.addr_npi = Npi::ISDN;
        let (esme, inbound) = Esme::start(c, shutdown)
            .map_err(|e| anyhow::anyhow!("SMPP session to {}: {e}", smsc.address))?;
        Ok(Self { esme, inbound })
    }

    /// The session (to wait for the bind, or watch its state).
    pub fn esme(&self) -> &Esme {
        &self.esme
    }
}

fn to_sms(d: &ferry_esme::Delivery) -> Option<InboundSms> {
    let pdu = d.pdu.pdu();
    let (source, esm_class, data_coding) = match &pdu.body {
        Body::DeliverSm(sm) => (sm.source.addr, sm.esm_class.0, sm.data_coding.0),
        Body::DataSm(sm) => (sm.source.addr, sm.esm_class.0, sm.data_coding.0),
        _ => return None,
    };
    Some(InboundSms {
        source: String::from_utf8_lossy(source).into_owned(),
        esm_class,
        data_coding,
        payload: d.payload(),
    })
}

impl SmsLink for EsmeLink {
    async fn recv(&mut self) -> Option<InboundSms> {
        loop {
            match self.inbound.recv().await? {
                Inbound::Message(d) => {
                    let sms = to_sms(&d);
                    d.accept();
                    if let Some(sms) = sms {
                        return Some(sms);
                    }
                }
                other => other.accept(),
            }
        }
    }
}
