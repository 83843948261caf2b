//! Packet captures of network alerts (Intrudect's `pcap_id`): a libpcap file per alert
//! at most, owned by the alert (its row goes when the alert goes, through the foreign
//! key). Importers make them from the packet a sensor logged with the alert.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::alert_pcap;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, DerivePartialModel, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};

use super::error::DomainResult;

/// The largest packet kept: a jumbo frame and more, as pcap readers accept (262,144 is
/// tcpdump's default snapshot length).
pub const MAX_PACKET: usize = 262_144;

/// libpcap's link types (a few names of <https://www.tcpdump.org/linktypes.html>).
pub const LINKTYPE_ETHERNET: u32 = 1;

/// A capture as the graph shows it: what it holds, not the bytes.
#[derive(Clone, Debug, DerivePartialModel, FromQueryResult)]
#[sea_orm(entity = "alert_pcap::Entity")]
pub struct PcapInfo {
    pub id: i64,
    pub alert_id: i64,
    pub packets: i32,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// A libpcap file (microsecond timestamps, the original byte order of the format's
/// reference implementation: little-endian) holding one packet captured at `at`.
/// Written here rather than through a crate: the format is two fixed headers.
pub fn single_packet(linktype: u32, at: DateTime<Utc>, packet: &[u8]) -> Vec<u8> {
    let len = u32::try_from(packet.len()).expect("packets are at most MAX_PACKET long");
    let mut out = Vec::with_capacity(40 + packet.len());
    // File header: magic, version 2.4, UTC, no accuracy figure, snapshot length, link type.
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(MAX_PACKET as u32).to_le_bytes());
    out.extend_from_slice(&linktype.to_le_bytes());
    // Record header: seconds, microseconds, captured and original length.
    out.extend_from_slice(&(at.timestamp() as u32).to_le_bytes());
    out.extend_from_slice(&at.timestamp_subsec_micros().to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(packet);
    out
}

/// What the captures of these alerts hold, by alert.
pub async fn of_alerts(db: &impl ConnectionTrait, alert_ids: &[i64]) -> Result<HashMap<i64, PcapInfo>, DbErr> {
    let rows = alert_pcap::Entity::find()
        .filter(alert_pcap::Column::AlertId.is_in(alert_ids.to_vec()))
        .into_partial_model::<PcapInfo>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| (p.alert_id, p)).collect())
}

/// The capture file of an alert, if it has one.
pub async fn file_of(db: &impl ConnectionTrait, alert_id: i64) -> DomainResult<Option<Vec<u8>>> {
    Ok(alert_pcap::Entity::find()
        .select_only()
        .column(alert_pcap::Column::Data)
        .filter(alert_pcap::Column::AlertId.eq(alert_id))
        .into_tuple::<Vec<u8>>()
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn one_packet_files_have_both_headers() {
        let at = Utc.timestamp_opt(1_750_000_000, 123_456_000).unwrap();
        let file = single_packet(LINKTYPE_ETHERNET, at, &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(file.len(), 24 + 16 + 4);
        assert_eq!(&file[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian magic");
        assert_eq!(u32::from_le_bytes(file[20..24].try_into().unwrap()), 1, "link type");
        assert_eq!(u32::from_le_bytes(file[24..28].try_into().unwrap()), 1_750_000_000);
        assert_eq!(u32::from_le_bytes(file[28..32].try_into().unwrap()), 123_456);
        assert_eq!(
            u32::from_le_bytes(file[32..36].try_into().unwrap()),
            4,
            "captured length"
        );
        assert_eq!(&file[40..], &[0xde, 0xad, 0xbe, 0xef]);
    }
}
