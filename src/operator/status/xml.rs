//! The query protocol's XML answers (CloudFormation's), read into a small tree: elements with
//! their text and children, no attributes (AWS's answers carry none that matter). Tokenized by
//! `xmlparser`, the tokenizer the SDK's own XML decoder uses.

use xmlparser::{ElementEnd, Token, Tokenizer};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The node at `path` below this one (`["DescribeStacksResult", "Stacks"]`).
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, p| n.child(p))
    }

    /// The children named `member` of the node at `path` (a query-protocol list).
    pub fn members(&self, path: &[&str]) -> Vec<&Node> {
        self.at(path)
            .map(|n| n.children.iter().filter(|c| c.name == "member").collect())
            .unwrap_or_default()
    }

    /// The text of the child `name`, if it has one.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.trim().to_string())
    }
}

/// XML's five entities and character references.
fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(';')
            .ok_or_else(|| format!("an unterminated entity in {rest:?}"))?
            + i;
        let entity = &rest[i + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("a bad character reference &{e};"))?,
            e if e.starts_with('#') => e[1..]
                .parse::<u32>()
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("a bad character reference &{e};"))?,
            e => return Err(format!("an unknown entity &{e};")),
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The document's root element.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let close = |stack: &mut Vec<Node>, root: &mut Option<Node>| {
        if let Some(done) = stack.pop() {
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => *root = Some(done),
            }
        }
    };
    for token in Tokenizer::from(text) {
        match token.map_err(|e| format!("not XML: {e}"))? {
            Token::ElementStart { local, .. } => stack.push(Node {
                name: local.as_str().to_string(),
                ..Node::default()
            }),
            Token::ElementEnd {
                end: ElementEnd::Empty | ElementEnd::Close(..),
                ..
            } => close(&mut stack, &mut root),
            Token::Text { text } => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&unescape(text.as_str())?);
                }
            }
            Token::Cdata { text, .. } => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(text.as_str());
                }
            }
            _ => {}
        }
    }
    root.ok_or_else(|| "no XML element in the answer".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_answer_reads_into_members() {
        let doc = parse(
            r#"<?xml version="1.0"?>
<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks>
    <member><StackName>a &amp; b</StackName><Outputs><member><OutputKey>Version</OutputKey><OutputValue>0.2.0</OutputValue></member></Outputs><Empty/></member>
    <member><StackName>&#x263A;&#65;</StackName></member>
  </Stacks></DescribeStacksResult>
</DescribeStacksResponse>"#,
        )
        .unwrap();
        let stacks = doc.members(&["DescribeStacksResult", "Stacks"]);
        assert_eq!(stacks.len(), 2);
        assert_eq!(stacks[0].text_of("StackName").as_deref(), Some("a & b"));
        assert_eq!(stacks[1].text_of("StackName").as_deref(), Some("\u{263A}A"));
        let outputs = stacks[0].members(&["Outputs"]);
        assert_eq!(outputs[0].text_of("OutputValue").as_deref(), Some("0.2.0"));
        assert_eq!(stacks[0].text_of("Empty").as_deref(), Some(""));
        assert!(doc.members(&["Nothing"]).is_empty());
    }

    #[test]
    fn what_is_not_xml_is_an_error() {
        assert!(parse("{\"json\": true}").is_err());
        assert!(parse("<a>&bogus;</a>").is_err());
    }
}
