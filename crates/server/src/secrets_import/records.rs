//! Reading an import file record by record, whatever its size: CSV with a header
//! (`secret[,item,variation,subevent]`, quoted fields may span lines) or newline-delimited JSON.
//! Each record becomes the JSON object the API would have received, so that the API's reader
//! and rules apply unchanged.

use serde_json::{Map, Value};
use std::io::{self, BufRead};

/// The file formats `secrets import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header line naming the columns.
    Csv,
    /// One JSON object per line (newline-delimited JSON).
    Jsonl,
}

/// One record: the line it starts on, and the object it holds or why it cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub object: Result<Value, String>,
}

/// The columns a CSV file may have; `secret` is required.
const COLUMNS: &[&str] = &["secret", "used", "item", "variation", "subevent"];

/// Records of a file, in order, with how many bytes have been read so far.
pub struct Records<R> {
    reader: R,
    format: Format,
    /// CSV: the column names, from the header.
    columns: Vec<String>,
    /// The number of the last line read.
    line: u64,
    pub bytes_read: u64,
}

impl<R: BufRead> Records<R> {
    /// Starts reading; a CSV file's header is read and checked here.
    pub fn new(reader: R, format: Format) -> Result<Self, String> {
        let mut records = Records {
            reader,
            format,
            columns: Vec::new(),
            line: 0,
            bytes_read: 0,
        };
        if format == Format::Csv {
            records.columns = records.header()?;
        }
        Ok(records)
    }

    /// The next physical line without its line break; `None` at the end of the file.
    fn next_line(&mut self) -> io::Result<Option<Result<String, String>>> {
        let mut bytes = Vec::new();
        let n = self.reader.read_until(b'\n', &mut bytes)?;
        if n == 0 {
            return Ok(None);
        }
        self.bytes_read += n as u64;
        self.line += 1;
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        if self.line == 1 && bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        Ok(Some(
            String::from_utf8(bytes).map_err(|_| "The line is not valid UTF-8.".to_owned()),
        ))
    }

    fn header(&mut self) -> Result<Vec<String>, String> {
        let header = loop {
            match self.next_line() {
                Err(e) => return Err(e.to_string()),
                Ok(None) => return Err("the file is empty: a header line is needed".into()),
                Ok(Some(Err(e))) => return Err(format!("line {}: {e}", self.line)),
                Ok(Some(Ok(l))) if l.trim().is_empty() => continue,
                Ok(Some(Ok(l))) => break l,
            }
        };
        let first = self.line;
        let fields = self
            .csv_fields(header)
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("line {first}: {e}"))?;
        let columns: Vec<String> = fields.iter().map(|f| f.trim().to_lowercase()).collect();
        for (i, c) in columns.iter().enumerate() {
            if !COLUMNS.contains(&c.as_str()) {
                return Err(format!(
                    "line {first}: unknown column '{c}' (columns: secret, item, variation, subevent, used)"
                ));
            }
            if columns[..i].contains(c) {
                return Err(format!("line {first}: column '{c}' appears twice"));
            }
        }
        if !columns.iter().any(|c| c == "secret") {
            return Err(format!(
                "line {first}: the header must name a 'secret' column"
            ));
        }
        Ok(columns)
    }

    /// Splits a CSV record that starts with `line`, reading further lines while a quoted
    /// field goes on.
    fn csv_fields(&mut self, mut line: String) -> io::Result<Result<Vec<String>, String>> {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut at_start = true;
        loop {
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                if quoted {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            field.push('"');
                        } else {
                            quoted = false;
                        }
                    } else {
                        field.push(c);
                    }
                } else {
                    match c {
                        ',' => {
                            fields.push(std::mem::take(&mut field));
                            at_start = true;
                            continue;
                        }
                        '"' if at_start => quoted = true,
                        '"' => return Ok(Err("A quote inside an unquoted field.".into())),
                        c => field.push(c),
                    }
                }
                at_start = false;
            }
            if !quoted {
                fields.push(field);
                return Ok(Ok(fields));
            }
            // The quoted field goes on on the next line.
            field.push('\n');
            line = match self.next_line()? {
                Some(Ok(next)) => next,
                Some(Err(e)) => return Ok(Err(e)),
                None => return Ok(Err("A quoted field is not closed.".into())),
            };
        }
    }

    /// The object of a CSV record: cells by column; an empty reference cell is `null`, an
    /// empty `used` cell is left out.
    fn csv_object(&self, cells: Vec<String>) -> Result<Value, String> {
        if cells.len() != self.columns.len() {
            return Err(format!(
                "Expected {} fields, found {}.",
                self.columns.len(),
                cells.len()
            ));
        }
        let mut object = Map::new();
        for (column, cell) in self.columns.iter().zip(cells) {
            let value = match column.as_str() {
                "secret" => Value::String(cell),
                "used" if cell.trim().is_empty() => continue,
                _ if cell.trim().is_empty() => Value::Null,
                _ => Value::String(cell),
            };
            object.insert(column.clone(), value);
        }
        Ok(Value::Object(object))
    }

    /// The next record; blank lines are skipped.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            let Some(line) = self.next_line()? else {
                return Ok(None);
            };
            let start = self.line;
            let line = match line {
                Ok(l) if l.trim().is_empty() => continue,
                Ok(l) => l,
                Err(e) => {
                    return Ok(Some(Record {
                        line: start,
                        object: Err(e),
                    }))
                }
            };
            let object = match self.format {
                Format::Jsonl => serde_json::from_str::<Value>(&line)
                    .map_err(|e| format!("JSON parse error - {e}")),
                Format::Csv => self
                    .csv_fields(line)?
                    .and_then(|cells| self.csv_object(cells)),
            };
            return Ok(Some(Record {
                line: start,
                object,
            }));
        }
    }
}

/// The format a file name suggests, else what its first non-blank character does (`{`: JSON).
pub fn detect(path: &std::path::Path, first_bytes: &[u8]) -> Format {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => Format::Csv,
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        _ => match first_bytes
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        {
            Some(b'{') => Format::Jsonl,
            _ => Format::Csv,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Lines = Vec<(u64, Result<Value, String>)>;

    fn all(text: &str, format: Format) -> Result<Lines, String> {
        let mut records = Records::new(text.as_bytes(), format)?;
        let mut out = Vec::new();
        while let Some(r) = records.next_record().unwrap() {
            out.push((r.line, r.object));
        }
        assert_eq!(records.bytes_read, text.len() as u64);
        Ok(out)
    }

    #[test]
    fn csv_with_quotes_blank_cells_and_bad_lines() {
        let text = "\u{feff}Secret,item,variation,subevent\r\n\
                    plain,1,,\r\n\
                    \r\n\
                    \"with,comma\",,,7\n\
                    \"multi\nline \"\"quoted\"\"\",2,21,\n\
                    short,1\n\
                    bad\"quote,,,\n";
        let got = all(text, Format::Csv).unwrap();
        assert_eq!(
            got,
            vec![
                (
                    2,
                    Ok(
                        json!({"secret": "plain", "item": "1", "variation": null, "subevent": null})
                    )
                ),
                (
                    4,
                    Ok(
                        json!({"secret": "with,comma", "item": null, "variation": null, "subevent": "7"})
                    )
                ),
                (
                    5,
                    Ok(
                        json!({"secret": "multi\nline \"quoted\"", "item": "2", "variation": "21", "subevent": null})
                    )
                ),
                (7, Err("Expected 4 fields, found 2.".into())),
                (8, Err("A quote inside an unquoted field.".into())),
            ]
        );
    }

    #[test]
    fn csv_headers_are_checked() {
        assert_eq!(
            all("secret,used\nA,yes\nB,\n", Format::Csv).unwrap(),
            vec![
                (2, Ok(json!({"secret": "A", "used": "yes"}))),
                (3, Ok(json!({"secret": "B"}))),
            ]
        );
        assert!(all("", Format::Csv).unwrap_err().contains("header"));
        assert_eq!(
            all("item,variation\n1,2\n", Format::Csv).unwrap_err(),
            "line 1: the header must name a 'secret' column"
        );
        assert!(all("secret,colour\n", Format::Csv)
            .unwrap_err()
            .starts_with("line 1: unknown column 'colour'"));
        assert_eq!(
            all("secret,secret\n", Format::Csv).unwrap_err(),
            "line 1: column 'secret' appears twice"
        );
        assert_eq!(
            all("secret\n\"open\n", Format::Csv).unwrap(),
            vec![(2, Err("A quoted field is not closed.".into()))]
        );
    }

    #[test]
    fn json_lines() {
        let text = "{\"secret\": \"a\", \"item\": 1}\n\n[1]\n{bad\n{\"secret\": \"b\"}";
        let got = all(text, Format::Jsonl).unwrap();
        assert_eq!(got[0], (1, Ok(json!({"secret": "a", "item": 1}))));
        assert_eq!(got[1], (3, Ok(json!([1]))));
        assert_eq!(got[2].0, 4);
        assert!(got[2]
            .1
            .as_ref()
            .unwrap_err()
            .starts_with("JSON parse error - "));
        assert_eq!(got[3], (5, Ok(json!({"secret": "b"}))));
        let invalid = b"{\"secret\": \"\xff\"}\n";
        let mut records = Records::new(&invalid[..], Format::Jsonl).unwrap();
        assert_eq!(
            records.next_record().unwrap(),
            Some(Record {
                line: 1,
                object: Err("The line is not valid UTF-8.".into())
            })
        );
    }

    #[test]
    fn formats_from_names_and_contents() {
        let p = std::path::Path::new;
        assert_eq!(detect(p("a.CSV"), b"{"), Format::Csv);
        assert_eq!(detect(p("a.ndjson"), b"secret"), Format::Jsonl);
        assert_eq!(detect(p("a.txt"), b"  {\"secret\""), Format::Jsonl);
        assert_eq!(detect(p("secrets"), b"secret,item"), Format::Csv);
    }
}
