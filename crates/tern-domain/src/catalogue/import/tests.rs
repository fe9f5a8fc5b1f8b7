use proptest::prelude::*;

use super::*;
use crate::Locale;
use crate::catalogue::{Activation, CountryCode, DataAllowance, Region, RegionLabel};

fn errors_of(result: Result<Vec<Plan>, ImportErrors>) -> Vec<(usize, Option<String>, &'static str)> {
    result
        .unwrap_err()
        .into_vec()
        .into_iter()
        .map(|e| (e.row, e.field, e.code.as_str()))
        .collect()
}

fn e(row: usize, field: &str, code: &'static str) -> (usize, Option<String>, &'static str) {
    (row, Some(field.to_owned()), code)
}

const GOOD_JSON: &str = r#"{"plans":[
  {"code":"JP-5GB-15D","name_en":"Japan 5GB 15 days","name_zh":"日本 5GB 15天",
   "countries":["jp"],"region":"local","data_mb":5120,"validity_days":15,
   "price":"11.50","currency":"usd","activation":"on_first_use"},
  {"code":"EU-UNL-15D","name_en":"Europe Unlimited 15 days","name_zh":"欧洲 无限流量 15天",
   "countries":["FR","DE","FR","it"],"region":"regional","region_label":"europe",
   "unlimited":true,"fair_use_mb":40960,"voice_minutes":60,"sms":30,
   "validity_days":15,"price":"45","currency":"USD","activation":"on_install","active":false},
  {"code":"GLOBAL-3GB-30D","name_en":"Global 3GB 30 days","name_zh":"全球 3GB 30天",
   "countries":["US","JP","GB"],"region":"global","data_mb":3072,"validity_days":30,
   "price":"27.00","currency":"USD","activation":"on_purchase","active":true}
]}"#;

const GOOD_CSV: &str = "\
code,name_en,name_zh,countries,region,region_label,data_mb,unlimited,fair_use_mb,voice_minutes,sms,validity_days,price,currency,activation,active
JP-5GB-15D,Japan 5GB 15 days,日本 5GB 15天,jp,local,,5120,,,,,15,11.50,usd,on_first_use,
EU-UNL-15D,Europe Unlimited 15 days,欧洲 无限流量 15天,FR|DE|FR|it,regional,europe,,true,40960,60,30,15,45,USD,on_install,false
GLOBAL-3GB-30D,Global 3GB 30 days,全球 3GB 30天,\"US JP  GB\",global,,3072,,,0,0,30,27.00,USD,on_purchase,yes
";

#[test]
fn parses_a_good_json_file() {
    let plans = parse_json(GOOD_JSON.as_bytes()).unwrap();
    assert_eq!(plans.len(), 3);
    let jp = &plans[0];
    assert_eq!(jp.code().as_str(), "JP-5GB-15D");
    assert_eq!(jp.name().get(Locale::ZhCn), "日本 5GB 15天");
    assert_eq!(jp.region(), Region::Local);
    assert_eq!(jp.data(), DataAllowance::Limited { mb: 5120 });
    assert_eq!(jp.price().amount_minor, 1150);
    assert_eq!(jp.price().currency.as_str(), "USD");
    assert!(jp.is_active());
    let eu = &plans[1];
    let codes: Vec<&str> = eu.coverage().as_slice().iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, ["DE", "FR", "IT"]);
    assert_eq!(
        eu.region(),
        Region::Regional {
            label: RegionLabel::Europe
        }
    );
    assert_eq!(eu.data(), DataAllowance::Unlimited { fair_use_mb: 40960 });
    assert_eq!((eu.voice_minutes(), eu.sms()), (60, 30));
    assert_eq!(eu.activation(), Activation::OnInstall);
    assert!(!eu.is_active());
    assert!(plans[2].covers(CountryCode::parse("GB").unwrap()));
}

#[test]
fn csv_and_json_give_the_same_plans() {
    let from_csv = parse_csv(GOOD_CSV.as_bytes()).unwrap();
    let from_json = parse_json(GOOD_JSON.as_bytes()).unwrap();
    assert_eq!(from_csv, from_json);
    // A byte-order mark, as spreadsheets write, changes nothing.
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), GOOD_CSV.as_bytes()].concat();
    assert_eq!(parse_csv(&with_bom).unwrap(), from_json);
}

#[test]
fn reports_every_bad_row_with_row_and_field() {
    let json = r#"{"plans":[
      {"code":"jp 5gb","name_en":"Japan","name_zh":"","countries":["JP","UK"],
       "region":"local","data_mb":5120,"validity_days":400,"price":"9.999",
       "currency":"USD","activation":"on_first_use","colour":"red"},
      {"code":"OK-1","name_en":"Fine","name_zh":"好","countries":["JP","KR"],
       "region":"local","data_mb":0,"validity_days":7,"price":"0",
       "currency":"USD","activation":"soon"},
      "not an object",
      {"code":"ASIA-1","name_en":"Asia","name_zh":"亚洲","countries":[],
       "region":"regional","unlimited":true,"validity_days":"7",
       "price":9.5,"currency":"US$","activation":"on_install","voice_minutes":-1},
      {"code":"GL-1","name_en":"Global","name_zh":"全球","countries":["US","JP"],
       "region":"global","region_label":"asia","data_mb":1024,"fair_use_mb":10,
       "validity_days":30,"price":"5","currency":"USD","activation":"on_install",
       "active":"yes"},
      {"code":"REG-1","name_en":"Reg","name_zh":"区域","countries":["US","CA"],
       "region":"regional","region_label":"north_america","data_mb":1024,
       "validity_days":30,"price":"5","activation":"on_install"}
    ]}"#;
    assert_eq!(
        errors_of(parse_json(json.as_bytes())),
        vec![
            e(1, "colour", "unknown_field"),
            e(1, "code", "plan_code_invalid"),
            e(1, "name_zh", "name_missing"),
            e(1, "countries", "country_unknown"),
            e(1, "validity_days", "validity_out_of_range"),
            e(1, "price", "price_invalid"),
            e(2, "region", "region_mismatch"),
            e(2, "data_mb", "data_invalid"),
            e(2, "price", "price_invalid"),
            e(2, "activation", "activation_invalid"),
            (3, None, "invalid_row"),
            e(4, "countries", "coverage_empty"),
            e(4, "region_label", "region_label_missing"),
            e(4, "fair_use_mb", "fair_use_missing"),
            e(4, "voice_minutes", "number_out_of_range"),
            e(4, "validity_days", "invalid_type"),
            e(4, "price", "invalid_type"),
            e(4, "currency", "currency_invalid"),
            e(5, "region_label", "region_mismatch"),
            e(5, "fair_use_mb", "data_conflict"),
            e(5, "active", "invalid_type"),
            e(6, "region_label", "region_label_invalid"),
            e(6, "currency", "field_missing"),
        ]
    );
}

#[test]
fn reports_duplicate_codes_at_each_repeat() {
    let row = |code: &str| {
        format!(
            r#"{{"code":"{code}","name_en":"Japan","name_zh":"日本","countries":["JP"],
            "region":"local","data_mb":1024,"validity_days":7,"price":"4.50",
            "currency":"USD","activation":"on_purchase"}}"#
        )
    };
    let json = format!(
        r#"{{"plans":[{},{},{},{}]}}"#,
        row("JP-1GB-7D"),
        row("JP-3GB-7D"),
        row("JP-1GB-7D"),
        row("JP-1GB-7D")
    );
    let errors = parse_json(json.as_bytes()).unwrap_err().into_vec();
    let found: Vec<_> = errors.iter().map(|e| (e.row, e.code.as_str())).collect();
    assert_eq!(found, [(3, "duplicate_code"), (4, "duplicate_code")]);
    assert_eq!(errors[0].message, "JP-1GB-7D already appears in row 1");
}

#[test]
fn csv_errors_carry_the_line_and_header_problems_are_reported_once() {
    let csv = "\
code,name_en,name_zh,countries,region,data_mb,validity_days,price,activation,colour
JP-1GB-7D,Japan,日本,JP,local,1024,7,4.50,on_purchase,red
KR-1GB-7D,Korea,韩国,KR,local,1024,7,4.50,on_purchase

JP-1GB-7D,Japan,日本,KR|XX,local,lots,7,4.50,on_purchase,\"multi
line\"
short,row
";
    let errors = parse_csv(csv.as_bytes()).unwrap_err().into_vec();
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.row, e.line, e.field.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (0, Some(1), Some("colour"), "unknown_field"),
            (0, Some(1), Some("currency"), "field_missing"),
            (2, Some(3), None, "invalid_row"),
            (3, Some(5), Some("code"), "duplicate_code"),
            (3, Some(5), Some("countries"), "country_unknown"),
            (3, Some(5), Some("data_mb"), "invalid_type"),
            (4, Some(7), None, "invalid_row"),
        ]
    );
}

#[test]
fn a_malformed_file_is_one_error_at_row_zero() {
    for bad in [&b"{\"plans\": ["[..], b"[]", b"{\"plans\": {}}", b"", b"\xff\xfe"] {
        let errors = parse_json(bad).unwrap_err().into_vec();
        assert_eq!(errors.len(), 1, "{bad:?}");
        assert_eq!((errors[0].row, errors[0].code), (0, ErrorCode::MalformedFile));
    }
    for bad in [&b""[..], b"\n\n", b"hello,world\n1,2\n"] {
        let errors = parse_csv(bad).unwrap_err().into_vec();
        assert_eq!(errors.len(), 1, "{bad:?}");
        assert_eq!((errors[0].row, errors[0].code), (0, ErrorCode::MalformedFile));
    }
}

#[test]
fn unknown_top_level_keys_are_reported() {
    let json = r#"{"plans":[],"version":2}"#;
    assert_eq!(
        errors_of(parse_json(json.as_bytes())),
        [(0, Some("version".to_owned()), "unknown_field")]
    );
    assert_eq!(parse_json(br#"{"plans":[]}"#), Ok(vec![]));
}

#[test]
fn errors_serialise_for_the_api() {
    let errors = parse_json(br#"{"plans":[{}]}"#).unwrap_err();
    let json = serde_json::to_value(&errors).unwrap();
    assert_eq!(
        json[0],
        serde_json::json!({"row":1,"field":"code","code":"field_missing","message":"code is required"})
    );
    assert!(errors.to_string().starts_with("the catalogue has "));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_json(&bytes);
        let _ = parse_csv(&bytes);
    }

    #[test]
    fn arbitrary_csv_rows_never_panic(rows in proptest::collection::vec("[ -~\u{4e00}-\u{4e10}|,\"\n]{0,80}", 0..6)) {
        let mut text = String::from(
            "code,name_en,name_zh,countries,region,region_label,data_mb,unlimited,fair_use_mb,voice_minutes,sms,validity_days,price,currency,activation,active\n",
        );
        for r in rows {
            text.push_str(&r);
            text.push('\n');
        }
        let _ = parse_csv(text.as_bytes());
    }

    #[test]
    fn arbitrary_json_values_never_panic(value in arb_json()) {
        let doc = serde_json::json!({"plans": [value]});
        let _ = parse_json(doc.to_string().as_bytes());
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let field = prop::sample::select(FIELDS.to_vec());
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[A-Za-z0-9 .|_-]{0,12}".prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::Array)
    });
    prop::collection::btree_map(field, value, 0..16)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

#[test]
fn csv_line_numbers_survive_crlf_and_blank_lines() {
    let csv = "code,name_en,name_zh,countries,region,data_mb,validity_days,price,currency,activation\r\n\r\n\r\nJP-1GB-7D,Japan,日本,JP,local,1024,0,4.50,USD,on_purchase\r\n";
    let errors = parse_csv(csv.as_bytes()).unwrap_err().into_vec();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].line), (1, Some(4)));
    assert_eq!(errors[0].code, ErrorCode::ValidityOutOfRange);
    assert_eq!(
        errors[0].to_string(),
        "row 1 (line 4), validity_days: validity must be 1 to 365 days (validity_out_of_range)"
    );
}
