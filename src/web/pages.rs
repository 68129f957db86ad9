//! Server-rendered pages: minijinja templates embedded at compile time, one layout, the texts of
//! both languages in one table, the stylesheet, and the error pages.
//!
//! How a later page follows the pattern:
//! 1. add `templates/NAME.html` extending `base.html` (blocks `content`; the layout prints the
//!    title, heading and the way back) and list it in [`TEMPLATES`];
//! 2. put its words in [`TEXTS`] under a prefix of its own (`"items.title"`, …) and write them as
//!    `{{ t("items.title") }}` in the template;
//! 3. in the handler take a [`PageContext`] guard (never fails: it knows the language and who is
//!    signed in) and return `cx.render("NAME.html", &cx.t("items.title"), context! {…})`;
//! 4. every `<form method="post">` starts with
//!    `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">` (first, so the CSRF
//!    check sees it; see `auth::CsrfFormPeek`).
//!
//! Escaping is on for every `.html` template. No page carries inline script or style (the CSP
//! forbids both).

use std::sync::OnceLock;

use minijinja::value::Value;
use minijinja::{Environment, context};
use rocket::http::{ContentType, Cookie, Header, SameSite, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Redirect, Responder};
use rocket::{Request, Response, catch, get};
use sha2::{Digest, Sha256};

use super::auth::{self, AuthFailure, Principal};
use crate::domain::Lang;

/// Every template, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("signin.html", include_str!("../../templates/signin.html")),
    ("account.html", include_str!("../../templates/account.html")),
    (
        "password.html",
        include_str!("../../templates/password.html"),
    ),
    ("error.html", include_str!("../../templates/error.html")),
    // Administration (the admin issue).
    (
        "admin_index.html",
        include_str!("../../templates/admin_index.html"),
    ),
    (
        "admin_errors.html",
        include_str!("../../templates/admin_errors.html"),
    ),
    (
        "admin_field.html",
        include_str!("../../templates/admin_field.html"),
    ),
    (
        "admin_regions.html",
        include_str!("../../templates/admin_regions.html"),
    ),
    (
        "admin_region.html",
        include_str!("../../templates/admin_region.html"),
    ),
    (
        "admin_department_fields.html",
        include_str!("../../templates/admin_department_fields.html"),
    ),
    (
        "admin_departments.html",
        include_str!("../../templates/admin_departments.html"),
    ),
    (
        "admin_department.html",
        include_str!("../../templates/admin_department.html"),
    ),
    (
        "admin_round_fields.html",
        include_str!("../../templates/admin_round_fields.html"),
    ),
    (
        "admin_rounds.html",
        include_str!("../../templates/admin_rounds.html"),
    ),
    (
        "admin_round.html",
        include_str!("../../templates/admin_round.html"),
    ),
    (
        "admin_role_fields.html",
        include_str!("../../templates/admin_role_fields.html"),
    ),
    (
        "admin_users.html",
        include_str!("../../templates/admin_users.html"),
    ),
    (
        "admin_user.html",
        include_str!("../../templates/admin_user.html"),
    ), // The public site (issue #6).
    (
        "public_list.html",
        include_str!("../../templates/public_list.html"),
    ),
    (
        "public_empty.html",
        include_str!("../../templates/public_empty.html"),
    ),
    (
        "public_history.html",
        include_str!("../../templates/public_history.html"),
    ),
    (
        "public_diff.html",
        include_str!("../../templates/public_diff.html"),
    ),
    (
        "public_item.html",
        include_str!("../../templates/public_item.html"),
    ),
    // The office's pages (issues #3 and #5).
    (
        "office_rounds.html",
        include_str!("../../templates/office_rounds.html"),
    ),
    (
        "office_errors.html",
        include_str!("../../templates/office_errors.html"),
    ),
    (
        "office_report.html",
        include_str!("../../templates/office_report.html"),
    ),
    (
        "office_upload.html",
        include_str!("../../templates/office_upload.html"),
    ),
    (
        "office_submission.html",
        include_str!("../../templates/office_submission.html"),
    ),
    (
        "office_decision_fields.html",
        include_str!("../../templates/office_decision_fields.html"),
    ),
    (
        "office_items.html",
        include_str!("../../templates/office_items.html"),
    ),
    (
        "office_item.html",
        include_str!("../../templates/office_item.html"),
    ),
    (
        "office_document_fields.html",
        include_str!("../../templates/office_document_fields.html"),
    ),
    (
        "office_documents.html",
        include_str!("../../templates/office_documents.html"),
    ),
    (
        "office_document.html",
        include_str!("../../templates/office_document.html"),
    ),
    // The dashboard and the reminders (issue #8).
    (
        "office_dashboard.html",
        include_str!("../../templates/office_dashboard.html"),
    ),
    (
        "office_reminders.html",
        include_str!("../../templates/office_reminders.html"),
    ),
    // Public consultation (issue #7).
    (
        "public_consultations.html",
        include_str!("../../templates/public_consultations.html"),
    ),
    (
        "public_consultation.html",
        include_str!("../../templates/public_consultation.html"),
    ),
    (
        "office_consultations.html",
        include_str!("../../templates/office_consultations.html"),
    ),
    (
        "office_consultation.html",
        include_str!("../../templates/office_consultation.html"),
    ),
];

/// The stylesheet, embedded.
pub const APP_CSS: &str = include_str!("../../static/app.css");

/// The words of the pages: key, Simplified Chinese, English. One table, so a translation gap is
/// one missing line (a test checks that every key a template uses is here).
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "site.name",
        "年检和政府指定培训清理",
        "Clearing out annual inspections and designated trainings",
    ),
    ("site.skip", "跳到正文", "Skip to main content"),
    ("nav.home", "首页", "Home"),
    ("nav.back", "返回", "Back"),
    ("nav.signin", "登录", "Sign in"),
    ("nav.signout", "退出登录", "Sign out"),
    ("nav.account", "我的账号", "My account"),
    ("nav.signed_in_as", "已登录：", "Signed in as "),
    ("lang.switch", "English", "中文"),
    (
        "home.title",
        "年检和政府指定培训清理",
        "Clearing out annual inspections and designated trainings",
    ),
    (
        "home.lead",
        "各部门在这里报送本部门的年检事项和政府指定培训，领导小组办公室审核、征求意见并公布保留的事项。",
        "Departments submit their annual inspections and designated trainings here; the leading-group office reviews them, consults the public and publishes what is kept.",
    ),
    (
        "home.staff",
        "部门填报人和审核人请先登录。",
        "Department submitters and reviewers: sign in first.",
    ),
    ("signin.title", "登录", "Sign in"),
    ("signin.username", "用户名", "Username"),
    ("signin.password", "密码", "Password"),
    ("signin.submit", "登录", "Sign in"),
    (
        "signin.help",
        "账号由管理员开设。忘记密码请联系本单位的系统管理员。",
        "Accounts are opened by an administrator. If you forgot your password, ask your administrator.",
    ),
    (
        "signin.failed",
        "用户名或密码错误",
        "Wrong username or password",
    ),
    (
        "signin.expired",
        "登录表单已过期，请重新输入后登录。",
        "The sign-in form expired; enter your details again.",
    ),
    (
        "signin.limited",
        "登录尝试次数过多，请稍后再试。",
        "Too many sign-in attempts; try again later.",
    ),
    ("signin.wait", "请等待（秒）：", "Wait (seconds): "),
    ("error.summary", "出现了问题", "There is a problem"),
    ("account.title", "我的账号", "My account"),
    ("account.username", "用户名", "Username"),
    ("account.role", "角色", "Role"),
    ("account.department", "部门", "Department"),
    ("account.region", "区划", "Region"),
    ("account.none", "无", "None"),
    (
        "account.must_change",
        "您正在使用一次性密码，请先修改密码。",
        "You are using a one-time password; change it first.",
    ),
    (
        "account.changed",
        "密码已修改。",
        "Your password has been changed.",
    ),
    ("account.change_password", "修改密码", "Change password"),
    ("password.title", "修改密码", "Change password"),
    ("password.current", "当前密码", "Current password"),
    ("password.new", "新密码", "New password"),
    (
        "password.new_hint",
        "10 到 256 个字符。",
        "10 to 256 characters.",
    ),
    ("password.confirm", "再次输入新密码", "New password again"),
    ("password.submit", "修改密码", "Change password"),
    (
        "password.wrong_current",
        "当前密码不正确",
        "The current password is wrong",
    ),
    (
        "password.mismatch",
        "两次输入的新密码不一致",
        "The two new passwords differ",
    ),
    (
        "password.weak",
        "新密码须为 10 到 256 个字符",
        "The new password must have 10 to 256 characters",
    ),
    ("error.400", "请求格式有误", "Malformed request"),
    (
        "error.403",
        "没有权限访问此页面",
        "You may not see this page",
    ),
    ("error.404", "未找到该页面", "Page not found"),
    (
        "error.404.body",
        "请检查网址是否输入正确。",
        "Check that the address is right.",
    ),
    (
        "error.413",
        "提交的内容超过大小上限",
        "What you sent is too large",
    ),
    (
        "error.422",
        "提交的内容无法处理，请检查后重新提交",
        "What you sent could not be used; check it and try again",
    ),
    (
        "error.429",
        "请求过于频繁，请稍后再试",
        "Too many requests; try again later",
    ),
    (
        "error.500",
        "服务器内部错误，已记录，请稍后重试",
        "Something went wrong on our side; it has been logged",
    ),
    (
        "error.503",
        "服务暂时不可用，请稍后重试",
        "The service is unavailable; try again shortly",
    ),
    ("error.other", "出现了问题", "Something went wrong"), // Administration (the admin issue).
    ("admin.index.title", "系统管理", "Administration"),
    (
        "admin.index.lead",
        "管理行政区划、部门、清理批次和用户。每项改动都记入审计日志。",
        "Manage regions, departments, rounds and users. Every change is recorded in the audit log.",
    ),
    ("admin.own_password", "修改我的密码", "Change my password"),
    ("admin.save", "保存", "Save"),
    ("admin.edit", "修改", "Edit"),
    ("admin.choose", "请选择", "Choose"),
    ("admin.optional", "选填", "Optional"),
    ("admin.done.created", "已添加。", "Added."),
    ("admin.done.saved", "已保存。", "Saved."),
    (
        "admin.done.role",
        "角色已修改，该用户下次操作时生效。",
        "The role has changed; it applies from the user's next request.",
    ),
    (
        "admin.done.disabled",
        "账号已停用：其登录会话已全部结束，令牌不再可用。",
        "The account is disabled: its sessions have ended and its tokens no longer work.",
    ),
    (
        "admin.done.enabled",
        "账号已启用。",
        "The account is enabled.",
    ),
    (
        "admin.import.file",
        "选择文件（xlsx、xls、ods 或 csv）",
        "Choose a file (xlsx, xls, ods or csv)",
    ),
    ("admin.import.submit", "导入", "Import"),
    ("admin.import.row_before", "第 ", "Row "),
    ("admin.import.row_after", " 行：", ": "),
    ("admin.regions.title", "行政区划", "Regions"),
    (
        "admin.regions.lead",
        "按 GB/T 2260 代码登记省、市、县、乡四级区划。",
        "Regions by GB/T 2260 code: province, city, county, township.",
    ),
    ("admin.regions.tree", "区划树", "Region tree"),
    ("admin.regions.none", "还没有登记区划。", "No regions yet."),
    ("admin.regions.rename", "改名", "Rename"),
    ("admin.regions.add", "添加区划", "Add a region"),
    ("admin.regions.code", "区划代码", "Region code"),
    (
        "admin.regions.code_hint",
        "GB/T 2260 的 6 位代码，例如 370100；乡级为 9 位或 12 位。代码添加后不能修改。",
        "The 6-digit GB/T 2260 code, e.g. 370100; 9 or 12 digits for a township. A code cannot change once added.",
    ),
    ("admin.regions.name", "区划名称", "Region name"),
    ("admin.regions.level", "级别", "Level"),
    (
        "admin.regions.level_from_code",
        "按代码判断",
        "From the code",
    ),
    ("admin.regions.parent", "上级区划", "Parent region"),
    (
        "admin.regions.parent_hint",
        "省级区划没有上级；其他区划的上级须高一级，代码须以上级代码开头（如 370100 属于 370000）。不选则按代码推断。",
        "A province has no parent; any other region's parent is one level up and its code starts with the parent's (370100 under 370000). Left empty, it is taken from the code.",
    ),
    (
        "admin.regions.parent_none",
        "无 / 按代码推断",
        "None / from the code",
    ),
    (
        "admin.regions.import",
        "从表格导入区划",
        "Import regions from a spreadsheet",
    ),
    (
        "admin.regions.import_hint",
        "表头应有：代码（或区划代码）、名称，可有级别、上级代码。任何一行有错则全部不导入，并列出每个错误行；与已有记录完全相同的行会被跳过。",
        "Columns: 代码 (or 区划代码), 名称, and optionally 级别 and 上级代码. If any row is wrong nothing is imported and every bad row is listed; rows identical to existing regions are skipped.",
    ),
    ("admin.departments.title", "部门", "Departments"),
    (
        "admin.departments.lead",
        "各区划的部门及其联系人。",
        "The departments of each region and their contacts.",
    ),
    (
        "admin.departments.none",
        "还没有登记部门。",
        "No departments yet.",
    ),
    ("admin.departments.add", "添加部门", "Add a department"),
    ("admin.departments.code", "部门代码", "Department code"),
    (
        "admin.departments.code_hint",
        "1 到 64 个字母、数字、“-”“_”或“.”。",
        "1 to 64 letters, digits, '-', '_' or '.'.",
    ),
    ("admin.departments.name", "部门全称", "Full name"),
    ("admin.departments.short_name", "简称", "Short name"),
    ("admin.departments.region", "所属区划", "Region"),
    ("admin.departments.contact", "联系人", "Contact"),
    (
        "admin.departments.contact_person",
        "联系人",
        "Contact person",
    ),
    (
        "admin.departments.contact_phone",
        "联系电话",
        "Contact phone",
    ),
    (
        "admin.departments.phone_hint",
        "选填。数字、“-”、空格和开头的“+”，例如 0531-86912345。",
        "Optional. Digits, dashes, spaces and a leading +, e.g. 0531-86912345.",
    ),
    ("admin.departments.contact_email", "电子邮箱", "E-mail"),
    (
        "admin.departments.email_hint",
        "选填。例如 name@example.gov.cn。",
        "Optional. E.g. name@example.gov.cn.",
    ),
    (
        "admin.departments.import",
        "从表格导入部门",
        "Import departments from a spreadsheet",
    ),
    (
        "admin.departments.import_hint",
        "表头应有：部门代码、部门全称、所属区划代码，可有简称、联系人、联系电话、电子邮箱。任何一行有错则全部不导入，并列出每个错误行。",
        "Columns: 部门代码, 部门全称, 所属区划代码, and optionally 简称, 联系人, 联系电话, 电子邮箱. If any row is wrong nothing is imported and every bad row is listed.",
    ),
    ("admin.rounds.title", "清理批次", "Rounds"),
    (
        "admin.rounds.lead",
        "每个区划的清理批次：报送截止、征求意见期和公布截止时间。",
        "Each region's clean-up rounds: submission deadline, consultation window, publication deadline.",
    ),
    ("admin.rounds.none", "还没有清理批次。", "No rounds yet."),
    ("admin.rounds.add", "添加批次", "Add a round"),
    ("admin.rounds.name", "批次名称", "Round name"),
    ("admin.rounds.region", "区划", "Region"),
    (
        "admin.rounds.submission_deadline",
        "报送截止时间",
        "Submission deadline",
    ),
    ("admin.rounds.consultation", "征求意见期", "Consultation"),
    (
        "admin.rounds.consultation_start",
        "征求意见开始时间",
        "Consultation starts",
    ),
    (
        "admin.rounds.consultation_end",
        "征求意见结束时间",
        "Consultation ends",
    ),
    (
        "admin.rounds.publication_deadline",
        "公布截止时间",
        "Publication deadline",
    ),
    (
        "admin.rounds.times_hint",
        "时间均为北京时间（UTC+8），可留空。顺序须为：报送截止 ≤ 征求意见开始 < 征求意见结束 ≤ 公布截止。",
        "All times are Beijing time (UTC+8) and may be left empty. Their order: submission deadline ≤ consultation start < consultation end ≤ publication deadline.",
    ),
    ("admin.users.title", "用户", "Users"),
    (
        "admin.users.lead",
        "开设账号、分配角色、停用账号、重置密码。",
        "Open accounts, assign roles, disable accounts, reset passwords.",
    ),
    ("admin.users.username", "用户名", "Username"),
    (
        "admin.users.username_hint",
        "2 到 64 个字符，不含空格。",
        "2 to 64 characters, no spaces.",
    ),
    ("admin.users.role", "角色", "Role"),
    (
        "admin.users.role_hint",
        "部门填报人须选部门；审核人须选区划；管理员两者都不选。",
        "A submitter needs a department; a reviewer a region; an admin neither.",
    ),
    (
        "admin.users.department",
        "部门（部门填报人）",
        "Department (submitters)",
    ),
    ("admin.users.no_department", "无", "None"),
    ("admin.users.region", "区划（审核人）", "Region (reviewers)"),
    ("admin.users.no_region", "无", "None"),
    ("admin.users.attached", "部门或区划", "Department or region"),
    ("admin.users.status", "状态", "Status"),
    ("admin.users.enabled", "正常", "Active"),
    ("admin.users.disabled", "已停用", "Disabled"),
    (
        "admin.users.one_time",
        "待修改一次性密码",
        "one-time password not yet changed",
    ),
    ("admin.users.add", "添加用户", "Add a user"),
    (
        "admin.users.password_title",
        "一次性密码",
        "One-time password",
    ),
    (
        "admin.users.password_once",
        "这是唯一一次显示该密码。请现在转交给用户；用户首次登录后须修改。",
        "This password is shown only this once. Hand it to the user now; they must change it at first sign-in.",
    ),
    ("admin.users.change_role", "修改角色", "Change the role"),
    ("admin.users.password", "密码", "Password"),
    ("admin.users.reset", "重置密码", "Reset the password"),
    (
        "admin.users.reset_hint",
        "生成新的一次性密码并结束该用户的全部登录会话。",
        "Makes a new one-time password and ends all the user's sessions.",
    ),
    ("admin.users.access", "账号状态", "Access"),
    ("admin.users.disable", "停用账号", "Disable the account"),
    (
        "admin.users.disable_hint",
        "停用后该用户的登录会话立即结束，其令牌不再可用；可随时重新启用。",
        "Disabling ends the user's sessions at once and stops its tokens; it can be enabled again at any time.",
    ),
    ("admin.users.enable", "启用账号", "Enable the account"),
    (
        "admin.users.self_hint",
        "这是您自己的账号，不能在这里停用。",
        "This is your own account; it cannot be disabled here.",
    ), // The public site (issue #6).
    ("home.public", "查看公布的清单", "See the published lists"),
    ("public.published_on", "公布日期：", "Published: "),
    ("public.history.link", "历次公布", "All publications"),
    (
        "public.diff.previous",
        "与上一版比较",
        "Compare with the previous publication",
    ),
    // The office's pages (issues #3 and #5).
    ("p.open", "（", " ("),
    ("p.close", "）", ")"),
    ("p.comma", "，", ", "),
    ("p.colon", "：", ": "),
    ("office.rounds.dashboard", "进展统计", "Dashboard"),
    ("dashboard.title", "进展统计", "Dashboard"),
    ("dashboard.back", "返回清理批次", "Back to the rounds"),
    ("dashboard.deadline", "报送截止时间", "Submission deadline"),
    ("dashboard.deadline_passed", "已截止", "passed"),
    ("dashboard.no_deadline", "未设定", "not set"),
    ("dashboard.overdue", "逾期部门", "Departments overdue"),
    ("dashboard.overdue_tag", "逾期", "overdue"),
    (
        "dashboard.report",
        "下载进展情况报告（Excel）",
        "Download the report (Excel)",
    ),
    ("dashboard.reminders", "催报名单", "Departments to remind"),
    ("dashboard.departments", "各部门报送情况", "Departments"),
    (
        "dashboard.departments.caption",
        "各部门的状态和事项数",
        "State and items of each department",
    ),
    ("dashboard.department", "部门", "Department"),
    ("dashboard.state", "状态", "State"),
    ("dashboard.items", "事项", "Items"),
    ("dashboard.with_errors", "有错误的事项", "Items with errors"),
    ("dashboard.decided", "已决定", "Decided"),
    ("dashboard.published", "已公布", "Published"),
    ("dashboard.first_submitted", "首次报送", "First submitted"),
    ("dashboard.outcome", "清理成效", "Outcome"),
    (
        "dashboard.figures.caption",
        "清理成效指标",
        "Outcome figures",
    ),
    (
        "dashboard.chart.alt",
        "（图中数字见下表）",
        "(the numbers are in the table below)",
    ),
    ("dashboard.counted", "对比项", "Counted"),
    ("dashboard.before", "清理前", "Before"),
    ("dashboard.after", "清理后", "After"),
    ("dashboard.all_of", "全部", "All: "),
    ("dashboard.date", "日期", "Date"),
    (
        "dashboard.uploads",
        "当日上传的报送表",
        "Workbooks uploaded that day",
    ),
    (
        "dashboard.cumulative",
        "累计已报送部门",
        "Departments submitted so far",
    ),
    ("dashboard.no_uploads", "尚无报送", "Nothing submitted yet"),
    ("reminders.title", "催报名单", "Departments to remind"),
    ("reminders.back", "返回进展统计", "Back to the dashboard"),
    (
        "reminders.lead",
        "以下部门尚未报送，或报送的事项仍有错误，请联系催办。",
        "These departments have not submitted, or their items still have errors: contact them.",
    ),
    (
        "reminders.download",
        "下载催报名单（Excel）",
        "Download the list (Excel)",
    ),
    (
        "reminders.caption",
        "需催办的部门及联系方式",
        "Departments to remind and their contacts",
    ),
    ("reminders.person", "联系人", "Contact person"),
    ("reminders.phone", "联系电话", "Phone"),
    ("reminders.email", "电子邮箱", "E-mail"),
    (
        "reminders.none",
        "所有部门均已报送且没有错误。",
        "Every department has submitted, without errors.",
    ),
    ("nav.rounds", "报送与审核", "Submissions and review"),
    ("nav.documents", "法律文件", "Legal documents"),
    ("nav.admin", "系统管理", "Administration"),
    ("nav.office", "工作区", "Work areas"),
    ("office.yes", "是", "Yes"),
    ("office.no", "否", "No"),
    (
        "office.rounds.title",
        "报送与审核",
        "Submissions and review",
    ),
    (
        "office.rounds.lead",
        "选择清理批次：上传本部门的报送表，或查看事项清单和审核发现。",
        "Pick a round: upload a department's workbook, or read the items and their review findings.",
    ),
    ("office.rounds.name", "清理批次", "Round"),
    ("office.rounds.region", "行政区划", "Region"),
    (
        "office.rounds.deadline",
        "报送截止时间",
        "Submission deadline",
    ),
    ("office.rounds.actions", "操作", "Actions"),
    ("office.rounds.items", "事项清单", "Items"),
    ("office.rounds.upload", "上传报送表", "Upload a workbook"),
    (
        "office.rounds.none",
        "暂无可见的清理批次。",
        "No rounds you can see yet.",
    ),
    ("office.rounds.submissions", "报送记录", "Submissions"),
    (
        "office.rounds.no_submissions",
        "还没有报送。",
        "No submissions yet.",
    ),
    ("office.submission.title", "报送", "Submission"),
    ("office.submission.file", "文件", "File"),
    ("office.submission.department", "部门", "Department"),
    ("office.submission.items", "事项数", "Items"),
    (
        "office.submission.uploaded_at",
        "上传时间",
        "Uploaded (Beijing time)",
    ),
    ("office.submission.status", "状态", "Status"),
    ("office.submission.current", "现行", "Current"),
    ("office.submission.superseded", "已被取代", "Superseded"),
    (
        "office.submission.superseded_by",
        "这份报送已被新的报送取代：",
        "A newer submission replaced this one: ",
    ),
    (
        "office.submission.annotated",
        "下载标注了错误的工作簿",
        "Download the annotated workbook",
    ),
    ("office.upload.title", "上传报送表", "Upload a workbook"),
    ("office.upload.form", "上传文件", "Upload a file"),
    ("office.upload.department", "报送部门", "Department"),
    (
        "office.upload.file",
        "选择工作簿（xlsx、xlsm、xls、ods 或 csv）",
        "Choose the workbook (xlsx, xlsm, xls, ods or csv)",
    ),
    (
        "office.upload.file_hint",
        "请使用系统提供的模板填写；文件不超过上传上限（默认 20 MiB）。",
        "Fill in the template the system provides; the file must stay under the upload limit (20 MiB by default).",
    ),
    ("office.upload.mode", "上传后", "After the upload"),
    (
        "office.upload.mode_check",
        "只检查，不保存",
        "Check only, store nothing",
    ),
    (
        "office.upload.mode_commit",
        "检查并提交（没有错误时保存）",
        "Check and submit (stored when there are no errors)",
    ),
    (
        "office.upload.mode_annotate",
        "下载标注了错误的工作簿",
        "Download the workbook with the bad cells marked",
    ),
    ("office.upload.submit", "上传", "Upload"),
    (
        "office.upload.annotate_hint",
        "要在 Excel 或 WPS 中对照修改，请选择“下载标注了错误的工作簿”并重新选择同一文件上传。",
        "To fix the file in Excel or WPS, choose “Download the workbook with the bad cells marked” and upload the same file again.",
    ),
    (
        "office.outcome.unchanged_title",
        "文件未变",
        "The file has not changed",
    ),
    (
        "office.outcome.unchanged",
        "与已保存的报送完全相同，未作任何改动：",
        "Identical to the stored submission; nothing changed: ",
    ),
    ("office.outcome.stored_title", "已保存", "Stored"),
    ("office.outcome.superseded", "取代了", "replacing "),
    ("office.outcome.added", "新增的事项", "Items added"),
    ("office.outcome.removed", "删除的事项", "Items removed"),
    ("office.outcome.changed", "修改的事项", "Items changed"),
    (
        "office.outcome.unchanged_count",
        "未变的事项数：",
        "Items unchanged: ",
    ),
    ("office.report.title", "导入报告", "Import report"),
    ("office.report.file", "文件", "File"),
    ("office.report.items", "事项", "Items"),
    ("office.report.inspections", "年检", "inspections"),
    ("office.report.trainings", "指定培训", "trainings"),
    ("office.report.errors", "错误", "Errors"),
    ("office.report.warnings", "警告", "Warnings"),
    ("office.report.notices", "提示", "Notices"),
    ("office.report.sheet", "工作表：", "Sheet: "),
    ("office.report.header_row", "表头在第 ", "header on row "),
    ("office.report.rows", " 行，数据 ", ", "),
    ("office.report.rows_after", " 行", " data rows"),
    (
        "office.report.cell_errors",
        "单元格错误（须修改后才能提交）",
        "Cell errors (fix them before submitting)",
    ),
    ("office.report.findings", "审核发现", "Review findings"),
    ("office.report.cell", "单元格", "Cell"),
    ("office.report.column", "列", "Column"),
    ("office.report.message", "说明", "Message"),
    ("office.report.severity", "严重程度", "Severity"),
    ("office.report.item", "事项", "Item"),
    (
        "office.report.clean",
        "本表没有发现问题。",
        "No problems in this sheet.",
    ),
    (
        "office.report.dry_run",
        "这是检查结果，尚未保存。确认无误后请选择“检查并提交”再上传一次。",
        "This is a check; nothing was stored. When it is right, choose “Check and submit” and upload again.",
    ),
    ("office.items.title", "事项清单", "Items"),
    ("office.items.total_before", "共 ", "In all "),
    ("office.items.total_after", " 个事项", " items"),
    (
        "office.items.none",
        "没有符合条件的事项。",
        "No items match.",
    ),
    ("office.items.pages", "分页", "Pages"),
    ("office.items.previous", "上一页", "Previous page"),
    ("office.items.next", "下一页", "Next page"),
    ("office.filter.department", "部门", "Department"),
    ("office.filter.kind", "类型", "Kind"),
    ("office.filter.rule", "审核规则", "Rule"),
    ("office.filter.severity", "严重程度", "Severity"),
    ("office.filter.proposed", "拟处理意见", "Proposed"),
    ("office.filter.state", "状态", "State"),
    (
        "office.filter.q",
        "搜索（事项、证照、部门）",
        "Search (item, licence, department)",
    ),
    ("office.filter.sort", "排序", "Sort by"),
    ("office.filter.any", "全部", "Any"),
    ("office.filter.undecided", "未决定", "Undecided"),
    ("office.filter.apply", "筛选", "Filter"),
    ("office.sort.department", "部门", "Department"),
    ("office.sort.name", "事项名称", "Name"),
    ("office.sort.cycle", "检验周期", "Cycle"),
    ("office.sort.updated", "最近更新", "Recently updated"),
    ("office.col.name", "事项名称", "Item"),
    ("office.col.department", "部门", "Department"),
    ("office.col.kind", "类型", "Kind"),
    ("office.col.cycle", "检验周期", "Cycle"),
    ("office.col.proposed", "拟处理意见", "Proposed"),
    ("office.col.decision", "决定", "Decision"),
    ("office.col.findings", "审核发现", "Findings"),
    ("office.bulk.title", "批量决定", "Decide in bulk"),
    (
        "office.bulk.hint",
        "对当前筛选出的全部事项（不只本页）作出同一决定。任何一个事项不符合要求，就都不作决定。",
        "One decision on every item the current filter picks (all pages). If any item refuses it, nothing is decided.",
    ),
    (
        "office.bulk.submit",
        "对筛选出的全部事项作出决定",
        "Decide every filtered item",
    ),
    ("office.decision.title", "作出决定", "Record a decision"),
    ("office.decision.decision", "处理决定", "Decision"),
    (
        "office.decision.cycle",
        "新的检验周期（月）",
        "New cycle (months)",
    ),
    (
        "office.decision.cycle_hint",
        "仅“延长周期”需要填写，须长于现行周期。",
        "Only for “extend cycle”; it must be longer than the current cycle.",
    ),
    ("office.decision.rationale", "决定理由", "Rationale"),
    (
        "office.decision.necessity",
        "必要性评估论证",
        "Necessity assessment",
    ),
    (
        "office.decision.necessity_hint",
        "保留没有法定依据或我省自行设定的年检事项时必须填写。",
        "Required to keep an inspection with no legal basis or set by the province.",
    ),
    ("office.decision.submit", "记录决定", "Record the decision"),
    (
        "office.decision.recorded",
        "决定已记录。",
        "The decision has been recorded.",
    ),
    ("office.decision.history", "决定记录", "Decision history"),
    ("office.decision.none", "尚未作出决定。", "No decision yet."),
    ("office.decision.at", "时间", "Time (Beijing time)"),
    ("office.decision.superseded", "已被取代", "Superseded"),
    ("office.decision.current", "现行", "Current"),
    (
        "office.item.back_to_list",
        "返回事项清单",
        "Back to the items",
    ),
    ("office.item.department", "实施部门", "Department"),
    ("office.item.kind", "类型", "Kind"),
    ("office.item.state", "状态", "State"),
    (
        "office.item.withdrawn",
        "已在新报送中删除",
        "Withdrawn by a newer submission",
    ),
    ("office.item.licence", "涉及证照", "Licence"),
    ("office.item.target", "对象", "Target group"),
    ("office.item.cycle", "检验周期", "Cycle"),
    ("office.item.months", "个月", "months"),
    ("office.item.irregular", "不定期", "Irregular"),
    (
        "office.item.annual_report",
        "已改为年度报告公示",
        "Converted to annual report",
    ),
    ("office.item.hours", "学时", "Hours"),
    ("office.item.fee", "收费标准", "Fee"),
    ("office.item.provider", "培训机构", "Provider"),
    ("office.item.designated", "指定机构", "Designated"),
    (
        "office.item.self_set",
        "我省自行设定",
        "Set by the province",
    ),
    ("office.item.proposed", "拟处理意见", "Proposed"),
    ("office.item.reason", "理由", "Reason"),
    ("office.item.place", "报送表位置", "Place in the workbook"),
    ("office.item.bases", "设定依据", "Legal bases"),
    (
        "office.item.no_bases",
        "没有填写设定依据。",
        "No legal basis given.",
    ),
    ("office.item.findings", "审核发现", "Review findings"),
    ("office.item.no_findings", "没有审核发现。", "No findings."),
    ("office.item.resolved", "已解决", "resolved"),
    ("office.basis.title", "名称", "Title"),
    ("office.basis.article", "条款", "Article"),
    ("office.basis.level", "层级", "Level"),
    (
        "office.basis.inferred",
        "（按名称推断）",
        "(inferred from the title)",
    ),
    (
        "office.basis.document",
        "登记的法律文件",
        "Registered document",
    ),
    ("office.basis.unmatched", "未匹配", "Not matched"),
    ("office.documents.title", "法律文件", "Legal documents"),
    (
        "office.documents.lead",
        "登记设定依据所引用的法律、法规、规章和规范性文件。标为“已废止”的文件会使引用它的事项重新触发 R08 审核发现。",
        "The laws, regulations, rules and normative documents bases cite. Marking one repealed re-flags every item citing it (R08).",
    ),
    (
        "office.documents.none",
        "还没有登记法律文件。",
        "No documents yet.",
    ),
    ("office.documents.doc_title", "文件名称", "Title"),
    ("office.documents.doc_number", "文号", "Document number"),
    ("office.documents.issuer", "发布机关", "Issuer"),
    ("office.documents.level", "层级", "Level"),
    ("office.documents.status", "状态", "Status"),
    (
        "office.documents.status_hint",
        "改为“已废止”后，引用该文件的事项会重新审核并列在下面。",
        "When set to repealed, the items citing it are re-reviewed and listed.",
    ),
    ("office.documents.issued_on", "发布日期", "Issued on"),
    (
        "office.documents.effective_on",
        "施行日期",
        "Effective from",
    ),
    ("office.documents.repealed_on", "废止日期", "Repealed on"),
    (
        "office.documents.date_hint",
        "选填，例如 2017-06-30。",
        "Optional, e.g. 2017-06-30.",
    ),
    ("office.documents.add", "登记法律文件", "Add a document"),
    (
        "office.documents.import",
        "从表格导入",
        "Import from a spreadsheet",
    ),
    (
        "office.documents.import_hint",
        "表头应有：文件名称、层级，可有文号、发布机关、状态、发布日期、施行日期、废止日期。任何一行有错则全部不导入，并列出每个错误行；已登记的同名文件按表格更新。",
        "Columns: title and level; optionally document number, issuer, status and the dates. Any bad row stops the whole import and every bad row is listed; a title already registered is updated from the sheet.",
    ),
    ("office.documents.imported", "导入完成", "Imported"),
    ("office.documents.imported_created", "新增 ", "added "),
    ("office.documents.imported_updated", "更新 ", "updated "),
    ("office.documents.imported_unchanged", "未变 ", "unchanged "),
    (
        "office.documents.citing",
        "引用该文件的事项（审核发现已重新计算）",
        "Items citing it (findings recomputed)",
    ),
    (
        "office.documents.citing_none",
        "没有事项引用该文件。",
        "No item cites it.",
    ),
    ("office.documents.created", "已登记。", "Added."),
    ("office.documents.saved", "已保存。", "Saved."),
    ("home.work", "开始工作", "Start work"),
    ("public.summary.title", "清理结果", "Results"),
    (
        "public.summary.inspections_before",
        "清理前的年检事项",
        "Annual inspections before the clean-up",
    ),
    (
        "public.summary.retained",
        "保留的年检事项",
        "Inspections retained",
    ),
    ("public.summary.cancelled", "取消的事项", "Items cancelled"),
    (
        "public.summary.converted",
        "改为年度报告公示",
        "Converted to annual reports",
    ),
    (
        "public.summary.cycles_lengthened",
        "延长检验周期",
        "Cycles lengthened",
    ),
    (
        "public.summary.trainings",
        "保留的指定培训",
        "Trainings retained",
    ),
    ("public.download", "下载全部清单：", "Download all lists: "),
    ("public.lists", "清单", "Lists"),
    ("public.list.all", "全部事项", "All items"),
    ("public.search.label", "搜索", "Search"),
    (
        "public.search.hint",
        "按事项名称、涉及证照、设定依据或部门搜索；多个词用空格分隔。",
        "By item name, licence, legal basis or department; separate words with spaces.",
    ),
    ("public.search.submit", "搜索", "Search"),
    (
        "public.search.clear",
        "清除搜索和筛选",
        "Clear search and filters",
    ),
    ("public.filter.region", "行政区划", "Region"),
    ("public.filter.department", "实施部门", "Department"),
    ("public.filter.kind", "事项类型", "Kind"),
    ("public.filter.any", "全部", "All"),
    ("public.results.before", "共 ", "Found: "),
    ("public.results.after", " 项", " items"),
    ("public.results.for", "，搜索：", ", searching for "),
    (
        "public.results.capped",
        "（超过此数，仅显示前 1000 项，请加关键词缩小范围）",
        " (more match; only the first 1,000 are shown: add a word to narrow the search)",
    ),
    (
        "public.results.none",
        "没有符合条件的事项。",
        "No items match.",
    ),
    ("public.col.serial", "序号", "No."),
    ("public.col.name", "事项名称", "Item"),
    ("public.col.department", "实施部门", "Department"),
    ("public.col.kind", "类型", "Kind"),
    ("public.col.disposition", "处理结果", "Decision"),
    ("public.col.cycle_before", "原检验周期", "Cycle before"),
    ("public.col.cycle_after", "调整后检验周期", "Cycle after"),
    ("public.paging", "分页", "Pages"),
    ("public.page.prev", "上一页", "Previous page"),
    ("public.page.next", "下一页", "Next page"),
    ("public.page.status", "页码", "Page"),
    ("public.empty.title", "公布的清单", "Published lists"),
    (
        "public.empty.body",
        "本地区尚未公布保留的年检事项和指定培训清单。",
        "No list has been published for this region yet.",
    ),
    (
        "public.history.title",
        "历次公布的清单",
        " — all publications",
    ),
    ("public.history.version", "版本", "Publication"),
    ("public.history.date", "公布日期", "Published"),
    ("public.history.changes", "变化", "Changes"),
    ("public.diff.added", "新增的事项", "Added"),
    ("public.diff.removed", "不再列入的事项", "No longer listed"),
    ("public.diff.changed", "有变更的事项", "Changed"),
    ("public.diff.none", "无", "None"),
    ("public.item.list", "所属清单", "List"),
    ("public.item.no_bases", "无设定依据", "No legal basis"),
    (
        "public.item.history",
        "历次公布中的变化",
        "Across publications",
    ),
    ("public.item.event", "情况", "What happened"),
    ("public.event.added", "列入", "Listed"),
    ("public.event.changed", "有变更", "Changed"),
    ("public.event.unchanged", "无变化", "Unchanged"),
    ("public.event.removed", "不再列入", "No longer listed"),
    ("public.field.list", "所属清单", "List"),
    ("public.field.name", "事项名称", "Name"),
    ("public.field.department", "实施部门", "Department"),
    ("public.field.licence", "涉及证照", "Licence or certificate"),
    ("public.field.target", "对象", "Who it concerns"),
    ("public.field.cycle_months", "检验周期", "Cycle"),
    ("public.field.disposition", "处理结果", "Decision"),
    ("public.field.legal_bases", "设定依据", "Legal basis"),
    ("public.field.rationale", "理由", "Rationale"),
    ("public.field.tied_to", "挂钩环节", "Tied to"),
    ("public.field.hours", "学时", "Hours"),
    ("public.field.fee", "收费标准", "Fee"),
    ("public.field.fee_basis", "收费依据", "Fee basis"),
    ("public.field.provider", "培训机构", "Provider"),
    // Public consultation (issue #7).
    ("consult.office.author", "姓名：", "Name: "),
    ("consult.office.contact", "联系方式：", "Contact: "),
    ("consult.office.show", "显示：", "Show: "),
    ("consult.office.all", "全部", "All"),
    ("nav.consultations", "征求意见", "Consultations"),
    ("consult.title", "公开征求意见", "Public consultation"),
    (
        "consult.intro",
        "以下年检事项拟予保留。按照规定，保留前须公开征求社会各界意见。欢迎在征求意见期间对每个事项发表意见。",
        "These annual inspections are proposed for retention. Before one is kept, the public is asked for comment. Comment on each item while its consultation is open.",
    ),
    ("consult.current", "正在进行和即将开始", "Open and upcoming"),
    ("consult.past", "已结束", "Past consultations"),
    (
        "consult.none_current",
        "目前没有正在进行的征求意见。",
        "No consultation is open at the moment.",
    ),
    (
        "consult.none_past",
        "暂无已结束的征求意见。",
        "No past consultations yet.",
    ),
    ("consult.window", "征求意见时间：", "Open for comment: "),
    ("consult.beijing", "（北京时间）", " (Beijing time)"),
    ("consult.items_before", "共 ", "with "),
    ("consult.items_after", " 个事项", " items"),
    ("consult.back", "返回征求意见列表", "Back to consultations"),
    ("consult.department", "实施部门", "Department"),
    ("consult.licence", "涉及证照", "Licence or certificate"),
    ("consult.reason", "部门理由", "The department's reasons"),
    ("consult.summary", "意见处理情况", "Summary of the comments"),
    ("consult.comments", "公众意见", "Public comments"),
    (
        "consult.no_comments",
        "暂无公开的意见。",
        "No published comments yet.",
    ),
    (
        "consult.thanks",
        "感谢您的意见。意见经审核后公开。",
        "Thank you. Your comment will appear once it has been moderated.",
    ),
    ("consult.your_comment", "发表意见", "Your comment"),
    (
        "consult.stance",
        "您对保留该事项的态度",
        "Your view on keeping this item",
    ),
    ("consult.body", "意见内容", "Your comment"),
    ("consult.body_hint_before", "不超过 ", "At most "),
    ("consult.body_hint_after", " 字", " characters"),
    ("consult.name", "姓名（选填）", "Name (optional)"),
    ("consult.contact", "联系方式（选填）", "Contact (optional)"),
    (
        "consult.private",
        "姓名和联系方式仅供办公室联系核实，不会公开。",
        "Your name and contact are only for the office to reach you; they are never published.",
    ),
    ("consult.honeypot", "请勿填写此项", "Leave this field empty"),
    ("consult.submit", "提交意见", "Send comment"),
    (
        "consult.moderated",
        "意见经审核后公开。",
        "Comments are published after moderation.",
    ),
    (
        "consult.expired",
        "表单已过期，请刷新页面后重新提交。",
        "The form has expired; reload the page and send it again.",
    ),
    ("consult.office.title", "征求意见管理", "Consultations"),
    ("consult.office.list", "征求意见", "Consultations"),
    (
        "consult.office.none",
        "尚未发起征求意见。",
        "No consultation yet.",
    ),
    ("consult.office.col_title", "标题", "Title"),
    (
        "consult.office.col_window",
        "时间（北京时间）",
        "Window (Beijing time)",
    ),
    ("consult.office.col_status", "状态", "Status"),
    ("consult.office.col_items", "事项数", "Items"),
    ("consult.office.open", "发起征求意见", "Open a consultation"),
    ("consult.office.round", "批次", "Round"),
    ("consult.office.notice", "公告", "Notice"),
    (
        "consult.office.starts",
        "开始时间（北京时间）",
        "Starts (Beijing time)",
    ),
    (
        "consult.office.ends",
        "截止时间（北京时间）",
        "Ends (Beijing time)",
    ),
    ("consult.office.items", "事项", "Items"),
    (
        "consult.office.items_hint",
        "列出 R01、R02 标记的年检事项；拟保留的已预先勾选。",
        "Inspections flagged R01 or R02; those proposed for retention are preselected.",
    ),
    (
        "consult.office.no_candidates",
        "没有 R01、R02 标记的事项。",
        "No item is flagged R01 or R02.",
    ),
    (
        "consult.office.open_for_round",
        "就本批次 R01、R02 标记的拟保留事项发起征求意见",
        "Open a public consultation on this round's items flagged R01 or R02",
    ),
    (
        "consult.office.open_submit",
        "发起征求意见",
        "Open the consultation",
    ),
    (
        "consult.office.back",
        "返回征求意见管理",
        "Back to consultations",
    ),
    ("consult.office.public_page", "公开页面", "Public page"),
    (
        "consult.office.export",
        "导出全部意见（xlsx）",
        "Export all comments (xlsx)",
    ),
    ("consult.office.counts", "意见统计", "Counts"),
    ("consult.office.item", "事项", "Item"),
    ("consult.office.total", "合计", "Total"),
    ("consult.office.comments", "全部意见", "All comments"),
    ("consult.office.reason", "审核理由", "Reason"),
    (
        "consult.office.approve",
        "通过并公开",
        "Approve and publish",
    ),
    ("consult.office.reject", "不予采用", "Reject"),
    (
        "consult.office.close",
        "结束征求意见",
        "Close the consultation",
    ),
    (
        "consult.office.close_hint",
        "逐项写明意见处理情况；留空的事项记为“征求意见期间未收到意见”。",
        "Summarise the comments on each item; an empty one is recorded as “no comments received”.",
    ),
    (
        "consult.office.close_submit",
        "结束并记录处理情况",
        "Close and record the summaries",
    ),
    (
        "consult.office.moderated",
        "已审核该意见。",
        "The comment has been moderated.",
    ),
    (
        "consult.office.opened",
        "已发起征求意见。",
        "The consultation is open.",
    ),
    (
        "consult.office.closed_done",
        "征求意见已结束，处理情况已记录。",
        "The consultation is closed and its summaries recorded.",
    ),
];

/// The text of a key in a language; the key itself when missing (visible, never a panic).
pub fn t(key: &str, lang: Lang) -> &str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| lang.pick(zh, en))
        .unwrap_or(key)
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_filter("when", when);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                // A broken template is a bug caught by the tests; the page then answers 500.
                tracing::error!(template = name, error = %e, "template does not compile");
            }
        }
        env
    })
}

/// The `when` filter: a stored UTC time (`2026-11-27T02:55:51.099613`) or an RFC 3339 time as
/// pages show times, `2026-11-27 10:55` in Beijing time; anything else unchanged.
pub fn when(value: String) -> String {
    use crate::service::admin::time;
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&value) {
        return time::display(t.naive_utc());
    }
    match chrono::NaiveDateTime::parse_from_str(&value, "%Y-%m-%dT%H:%M:%S%.f") {
        Ok(t) => time::display(t),
        Err(_) => value,
    }
}

/// The stylesheet's address, with a hash of its content so it can be cached for a year.
pub fn css_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(APP_CSS.as_bytes()));
        format!("/static/app.css?v={}", &digest[..12])
    })
}

/// A rendered page: HTML with a status and extra headers.
#[derive(Debug)]
pub struct Page {
    pub html: String,
    pub status: Status,
    pub headers: Vec<Header<'static>>,
}

impl Page {
    pub fn status(mut self, status: Status) -> Page {
        self.status = status;
        self
    }
    pub fn header(mut self, name: &'static str, value: String) -> Page {
        self.headers.push(Header::new(name, value));
        self
    }
}

impl<'r> Responder<'r, 'static> for Page {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let mut res = Response::build();
        res.status(self.status)
            .header(ContentType::HTML)
            .sized_body(self.html.len(), std::io::Cursor::new(self.html));
        for h in self.headers {
            res.header(h);
        }
        res.ok()
    }
}

/// What every page needs to know about its request: the language, who is signed in, and where
/// it is (for the language switch). A guard that never fails.
#[derive(Debug, Clone)]
pub struct PageContext {
    pub lang: Lang,
    pub principal: Option<Principal>,
    /// The path and query of the request without `lang=`, for the language switch.
    path_without_lang: String,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PageContext {
    type Error = std::convert::Infallible;
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(PageContext::of(req).await)
    }
}

impl PageContext {
    pub async fn of(req: &Request<'_>) -> PageContext {
        let lang = crate::web::request_lang(req);
        // A `?lang=` choice sticks for later pages.
        if let Some(chosen) = req
            .query_value::<&str>("lang")
            .and_then(Result::ok)
            .and_then(Lang::from_code)
        {
            let code = match chosen {
                Lang::Zh => "zh",
                Lang::En => "en",
            };
            req.cookies().add(
                Cookie::build(("lang", code))
                    .path("/")
                    .same_site(SameSite::Lax)
                    .max_age(rocket::time::Duration::days(365)),
            );
        }
        let path = req.uri().path().as_str().to_string();
        let rest: Vec<&str> = req
            .uri()
            .query()
            .map(|q| {
                q.as_str()
                    .split('&')
                    .filter(|p| !p.is_empty() && !p.starts_with("lang="))
                    .collect()
            })
            .unwrap_or_default();
        let path_without_lang = if rest.is_empty() {
            path
        } else {
            format!("{path}?{}", rest.join("&"))
        };
        PageContext {
            lang,
            principal: auth::current(req).await,
            path_without_lang,
        }
    }

    pub fn t(&self, key: &str) -> String {
        t(key, self.lang).to_string()
    }

    /// The link that shows this page in the other language.
    fn lang_switch_href(&self) -> String {
        let other = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        let sep = if self.path_without_lang.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{sep}lang={other}", self.path_without_lang)
    }

    /// Renders a template inside the layout. `title` is the page's title and heading.
    pub fn render(&self, template: &str, title: &str, page: Value) -> Page {
        let lang = self.lang;
        let user = self.principal.as_ref().map(|p| {
            context! {
                username => p.username.clone(),
                role => p.role.label(lang),
                is_admin => p.is_admin(),
                can_review => p.can_review(),
            }
        });
        let base = context! {
            lang => match lang { Lang::Zh => "zh", Lang::En => "en" },
            html_lang => match lang { Lang::Zh => "zh-CN", Lang::En => "en" },
            title => title,
            user => user,
            csrf_token => self.principal.as_ref().and_then(|p| p.csrf_token()).unwrap_or(""),
            css_href => css_href(),
            lang_switch_href => self.lang_switch_href(),
            t => Value::from_function(move |key: &str| t(key, lang).to_string()),
        };
        let ctx = context! { ..page, ..base };
        let rendered = environment()
            .get_template(template)
            .and_then(|tmpl| tmpl.render(ctx));
        match rendered {
            Ok(html) => Page {
                html,
                status: Status::Ok,
                headers: Vec::new(),
            },
            Err(e) => {
                tracing::error!(template, error = %e, "page rendering failed");
                Page {
                    html: format!(
                        "<!doctype html><title>500</title><p>{}</p>",
                        t("error.500", lang)
                    ),
                    status: Status::InternalServerError,
                    headers: Vec::new(),
                }
            }
        }
    }

    /// An error page in the layout.
    pub fn error(&self, status: Status, message: &str) -> Page {
        let heading = self.t(&format!("error.{}", status.code));
        let heading = if heading.starts_with("error.") {
            self.t("error.other")
        } else {
            heading
        };
        self.render(
            "error.html",
            &heading,
            context! { message => message, code => status.code },
        )
        .status(status)
    }
}

/// A `next` address that stays on this site: a path starting with one `/`, else `fallback`.
pub fn safe_next(next: Option<&str>, fallback: &str) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && n.len() <= 1024
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => fallback.to_string(),
    }
}

/// The stylesheet, cacheable for a year: its address changes with its content.
#[get("/static/app.css")]
pub fn app_css() -> Stylesheet {
    Stylesheet
}

pub struct Stylesheet;

impl<'r> Responder<'r, 'static> for Stylesheet {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .header(ContentType::CSS)
            .raw_header("Cache-Control", "public, max-age=31536000, immutable")
            .sized_body(APP_CSS.len(), std::io::Cursor::new(APP_CSS))
            .ok()
    }
}

/// Pages answer "sign in first" with a redirect to the sign-in page that comes back here.
#[catch(401)]
pub fn unauthorized_page(req: &Request<'_>) -> Redirect {
    let back = if auth::is_safe(req.method()) {
        req.uri().to_string()
    } else {
        "/".to_string()
    };
    let next = safe_next(Some(&back), "/");
    let encoded: String = url_encode(&next);
    Redirect::to(format!("/signin?next={encoded}"))
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn error_page(status: Status, req: &Request<'_>) -> Page {
    let cx = PageContext::of(req).await;
    let message = match (status.code, auth::failure_of(req)) {
        (403, Some(f @ AuthFailure::Csrf)) => cx.lang.pick(f.zh(), f.en()).to_string(),
        (404, _) => cx.t("error.404.body"),
        _ => String::new(),
    };
    cx.error(status, &message)
}

macro_rules! page_catcher {
    ($name:ident, $code:literal) => {
        #[catch($code)]
        async fn $name(req: &Request<'_>) -> Page {
            error_page(Status::new($code), req).await
        }
    };
}

page_catcher!(bad_request_page, 400);
page_catcher!(forbidden_page, 403);
page_catcher!(not_found_page, 404);
page_catcher!(too_large_page, 413);
page_catcher!(unprocessable_page, 422);
page_catcher!(too_many_page, 429);
page_catcher!(internal_page, 500);
page_catcher!(unavailable_page, 503);

/// The catchers of everything outside `/api`: HTML pages, and a redirect for 401.
pub fn catchers() -> Vec<rocket::Catcher> {
    rocket::catchers![
        unauthorized_page,
        bad_request_page,
        forbidden_page,
        not_found_page,
        too_large_page,
        unprocessable_page,
        too_many_page,
        internal_page,
        unavailable_page
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn every_text_a_template_uses_exists_in_both_languages() {
        for (name, source) in TEMPLATES {
            for part in source.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                assert!(
                    TEXTS
                        .iter()
                        .any(|(k, zh, en)| *k == key && !zh.is_empty() && !en.is_empty()),
                    "{name} uses the missing text key {key:?}"
                );
            }
        }
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a text key is listed twice");
    }

    #[test]
    fn no_template_carries_inline_script_or_style() {
        for (name, source) in TEMPLATES {
            let lower = source.to_ascii_lowercase();
            assert!(!lower.contains("<script"), "{name}");
            assert!(!lower.contains("<style"), "{name}");
            assert!(!lower.contains(" style=\""), "{name}");
            assert!(!lower.contains(" onclick"), "{name}");
        }
    }

    #[test]
    fn every_post_form_starts_with_the_csrf_field() {
        for (name, source) in TEMPLATES {
            for part in source.split("<form").skip(1) {
                let (tag, body) = part.split_once('>').unwrap_or((part, ""));
                if tag.contains("method=\"post\"") {
                    assert!(
                        body.trim_start()
                            .starts_with("<input type=\"hidden\" name=\"csrf_token\""),
                        "{name}: a post form must start with the csrf_token field"
                    );
                }
            }
        }
    }

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/account"), "/"), "/account");
        assert_eq!(safe_next(Some("//evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("/\\evil.example"), "/"), "/");
        assert_eq!(safe_next(Some("https://evil.example"), "/"), "/");
        assert_eq!(safe_next(None, "/x"), "/x");
    }

    #[test]
    fn times_show_in_beijing_time() {
        assert_eq!(
            when("2026-11-27T02:55:51.099613".into()),
            "2026-11-27 10:55"
        );
        assert_eq!(when("2017-04-30T08:00:00+08:00".into()), "2017-04-30 08:00");
        assert_eq!(when("soon".into()), "soon");
    }

    #[test]
    fn texts_fall_back_to_the_key() {
        assert_eq!(t("signin.title", Lang::Zh), "登录");
        assert_eq!(t("signin.title", Lang::En), "Sign in");
        assert_eq!(t("no.such.key", Lang::En), "no.such.key");
    }
}
