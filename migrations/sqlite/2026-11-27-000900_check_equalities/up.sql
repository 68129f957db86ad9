-- Every enumeration CHECK as a chain of equalities instead of `col IN (…)`: the same rule (a NULL
-- passes both), but SQLite evaluates a constant IN list through a temporary index built anew for
-- every row it checks, which made the CHECKs a sixth of a 100,000-row import's commit
-- (BENCHMARKS.md, "Import"). The table definitions are edited in place, as SQLite documents for
-- changing CHECK constraints (lang_altertable.html, "Making Other Kinds Of Table Schema
-- Changes"): the stored rows do not change, and they all satisfy the equivalent rule.
-- `writable_schema = RESET` reloads this connection's schema; the table created and dropped at
-- the end moves the schema cookie on, so every other connection reloads it too.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT comments_stance_check CHECK (stance IN (''support'', ''oppose'', ''other''))', 'CONSTRAINT comments_stance_check CHECK (stance = ''support'' OR stance = ''oppose'' OR stance = ''other'')')
    WHERE type = 'table' AND name = 'comments';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT comments_state_check CHECK (state IN (''pending'', ''approved'', ''rejected''))', 'CONSTRAINT comments_state_check CHECK (state = ''pending'' OR state = ''approved'' OR state = ''rejected'')')
    WHERE type = 'table' AND name = 'comments';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT decisions_disposition_check CHECK (disposition IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))', 'CONSTRAINT decisions_disposition_check CHECK (disposition = ''retain'' OR disposition = ''cancel'' OR disposition = ''extend_cycle'' OR disposition = ''convert_to_annual_report'' OR disposition = ''standardise'')')
    WHERE type = 'table' AND name = 'decisions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT findings_code_check CHECK (code IN (''R01'', ''R02'', ''R03'', ''R04'', ''R05'', ''R06'', ''R07'', ''R08'', ''R09'', ''R10'', ''R11''))', 'CONSTRAINT findings_code_check CHECK (code = ''R01'' OR code = ''R02'' OR code = ''R03'' OR code = ''R04'' OR code = ''R05'' OR code = ''R06'' OR code = ''R07'' OR code = ''R08'' OR code = ''R09'' OR code = ''R10'' OR code = ''R11'')')
    WHERE type = 'table' AND name = 'findings';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT findings_severity_check CHECK (severity IN (''error'', ''warning'', ''info''))', 'CONSTRAINT findings_severity_check CHECK (severity = ''error'' OR severity = ''warning'' OR severity = ''info'')')
    WHERE type = 'table' AND name = 'findings';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_kind_check CHECK (kind IN (''inspection'', ''training''))', 'CONSTRAINT items_kind_check CHECK (kind = ''inspection'' OR kind = ''training'')')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_proposed_check CHECK (proposed IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))', 'CONSTRAINT items_proposed_check CHECK (proposed = ''retain'' OR proposed = ''cancel'' OR proposed = ''extend_cycle'' OR proposed = ''convert_to_annual_report'' OR proposed = ''standardise'')')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_state_check CHECK (state IN (''submitted'', ''under_review'', ''decided'', ''published''))', 'CONSTRAINT items_state_check CHECK (state = ''submitted'' OR state = ''under_review'' OR state = ''decided'' OR state = ''published'')')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_tied_to_check CHECK (tied_to IN (''issuance'', ''inspection'', ''both''))', 'CONSTRAINT items_tied_to_check CHECK (tied_to = ''issuance'' OR tied_to = ''inspection'' OR tied_to = ''both'')')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_bases_level_check CHECK (level IN (''law'', ''admin_regulation'', ''state_council_decision'', ''departmental_rule'', ''local_regulation'', ''local_gov_rule'', ''normative_document''))', 'CONSTRAINT legal_bases_level_check CHECK (level = ''law'' OR level = ''admin_regulation'' OR level = ''state_council_decision'' OR level = ''departmental_rule'' OR level = ''local_regulation'' OR level = ''local_gov_rule'' OR level = ''normative_document'')')
    WHERE type = 'table' AND name = 'legal_bases';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_documents_level_check CHECK (level IN (''law'', ''admin_regulation'', ''state_council_decision'', ''departmental_rule'', ''local_regulation'', ''local_gov_rule'', ''normative_document''))', 'CONSTRAINT legal_documents_level_check CHECK (level = ''law'' OR level = ''admin_regulation'' OR level = ''state_council_decision'' OR level = ''departmental_rule'' OR level = ''local_regulation'' OR level = ''local_gov_rule'' OR level = ''normative_document'')')
    WHERE type = 'table' AND name = 'legal_documents';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_documents_status_check CHECK (status IN (''in_force'', ''amended'', ''repealed''))', 'CONSTRAINT legal_documents_status_check CHECK (status = ''in_force'' OR status = ''amended'' OR status = ''repealed'')')
    WHERE type = 'table' AND name = 'legal_documents';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_disposition_check CHECK (disposition IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))', 'CONSTRAINT published_items_disposition_check CHECK (disposition = ''retain'' OR disposition = ''cancel'' OR disposition = ''extend_cycle'' OR disposition = ''convert_to_annual_report'' OR disposition = ''standardise'')')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_kind_check CHECK (kind IN (''inspection'', ''training''))', 'CONSTRAINT published_items_kind_check CHECK (kind = ''inspection'' OR kind = ''training'')')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_list_check CHECK (list IN (''retained'', ''converted'', ''cancelled'', ''trainings''))', 'CONSTRAINT published_items_list_check CHECK (list = ''retained'' OR list = ''converted'' OR list = ''cancelled'' OR list = ''trainings'')')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT regions_level_check CHECK (level IN (''province'', ''city'', ''county'', ''township''))', 'CONSTRAINT regions_level_check CHECK (level = ''province'' OR level = ''city'' OR level = ''county'' OR level = ''township'')')
    WHERE type = 'table' AND name = 'regions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT submissions_format_check CHECK (format IN (''xlsx'', ''xlsm'', ''xls'', ''ods'', ''csv''))', 'CONSTRAINT submissions_format_check CHECK (format = ''xlsx'' OR format = ''xlsm'' OR format = ''xls'' OR format = ''ods'' OR format = ''csv'')')
    WHERE type = 'table' AND name = 'submissions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT users_role_check CHECK (role IN (''submitter'', ''reviewer'', ''admin''))', 'CONSTRAINT users_role_check CHECK (role = ''submitter'' OR role = ''reviewer'' OR role = ''admin'')')
    WHERE type = 'table' AND name = 'users';

PRAGMA writable_schema = RESET;
CREATE TABLE nianjian_schema_changed (x INTEGER);
DROP TABLE nianjian_schema_changed;
