//! Every comment of a consultation as one xlsx sheet, for the necessity assessment: each
//! comment in every state, with the author's name and contact (office only) and the moderation.
//! The house style of the publication exports: merged title row, grey header, frozen panes,
//! wrapped text, thin borders over the data, A4 landscape.

use rust_xlsxwriter::Workbook;

use super::ExportError;
use super::xlsx::{Formats, fit, print_setup};
use crate::domain::Lang;
use crate::service::admin::time;
use crate::service::consultation::{OfficeComment, Stance};

fn state_label(state: &str, lang: Lang) -> &'static str {
    match state {
        "approved" => lang.pick("已通过", "Approved"),
        "rejected" => lang.pick("不予采用", "Rejected"),
        _ => lang.pick("待审核", "Pending"),
    }
}

/// The workbook of a consultation's comments.
pub fn write(title: &str, comments: &[OfficeComment], lang: Lang) -> Result<Vec<u8>, ExportError> {
    let formats = Formats::new();
    let mut book = Workbook::new();
    book.set_default_format(&formats.default, 20, 64)?;
    let sheet = book.add_worksheet();
    sheet.set_name(lang.pick("意见汇总", "Comments"))?;
    let headers: [(&str, &str, f64); 12] = [
        ("序号", "No.", 6.0),
        ("意见编号", "Comment ID", 10.0),
        ("事项", "Item", 28.0),
        ("态度", "Stance", 12.0),
        ("意见内容", "Comment", 60.0),
        ("姓名", "Name", 12.0),
        ("联系方式", "Contact", 18.0),
        ("提交时间（北京时间）", "Submitted (Beijing time)", 18.0),
        ("审核状态", "Moderation", 10.0),
        ("审核理由", "Reason", 24.0),
        ("审核人", "Moderator", 12.0),
        ("地址指纹", "Address fingerprint", 18.0),
    ];
    let last_col = (headers.len() - 1) as u16;
    for (c, (_, _, w)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    print_setup(sheet, lang);
    sheet.set_repeat_rows(1, 1)?;
    sheet.set_freeze_panes(2, 0)?;
    sheet.set_row_height(0, 36)?;
    let heading = format!(
        "{title}{}",
        lang.pick("——公众意见汇总", " — public comments")
    );
    sheet.merge_range(0, 0, 0, last_col, &heading, &formats.title)?;
    for (c, (zh, en, _)) in headers.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, lang.pick(zh, en), &formats.header)?;
    }
    let mut row = 1;
    for (n, comment) in comments.iter().enumerate() {
        row += 1;
        let stance = Stance::from_code(&comment.stance)
            .map(|s| s.label(lang))
            .unwrap_or("");
        sheet.write_number(row, 0, (n + 1) as f64)?;
        sheet.write_number(row, 1, comment.id as f64)?;
        sheet.write_string(row, 2, fit(&comment.item_name))?;
        sheet.write_string(row, 3, stance)?;
        sheet.write_string(row, 4, fit(&comment.body))?;
        sheet.write_string(row, 5, fit(comment.author_name.as_deref().unwrap_or("")))?;
        sheet.write_string(row, 6, fit(comment.author_contact.as_deref().unwrap_or("")))?;
        sheet.write_string(row, 7, time::display(comment.created_at))?;
        sheet.write_string(row, 8, state_label(&comment.state, lang))?;
        sheet.write_string(
            row,
            9,
            fit(comment.moderation_reason.as_deref().unwrap_or("")),
        )?;
        sheet.write_string(row, 10, comment.moderated_by.as_deref().unwrap_or(""))?;
        // A prefix of the salted hash: enough to see comments from one address, no more.
        sheet.write_string(
            row,
            11,
            &comment.address_hash[..comment.address_hash.len().min(12)],
        )?;
    }
    if row > 1 {
        sheet.add_conditional_format(2, 0, row, last_col, &formats.borders)?;
    }
    Ok(book.save_to_buffer()?)
}
