-- Back to `col IN (…)` CHECKs (see up.sql).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT comments_stance_check CHECK (stance = ''support'' OR stance = ''oppose'' OR stance = ''other'')', 'CONSTRAINT comments_stance_check CHECK (stance IN (''support'', ''oppose'', ''other''))')
    WHERE type = 'table' AND name = 'comments';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT comments_state_check CHECK (state = ''pending'' OR state = ''approved'' OR state = ''rejected'')', 'CONSTRAINT comments_state_check CHECK (state IN (''pending'', ''approved'', ''rejected''))')
    WHERE type = 'table' AND name = 'comments';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT decisions_disposition_check CHECK (disposition = ''retain'' OR disposition = ''cancel'' OR disposition = ''extend_cycle'' OR disposition = ''convert_to_annual_report'' OR disposition = ''standardise'')', 'CONSTRAINT decisions_disposition_check CHECK (disposition IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))')
    WHERE type = 'table' AND name = 'decisions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT findings_code_check CHECK (code = ''R01'' OR code = ''R02'' OR code = ''R03'' OR code = ''R04'' OR code = ''R05'' OR code = ''R06'' OR code = ''R07'' OR code = ''R08'' OR code = ''R09'' OR code = ''R10'' OR code = ''R11'')', 'CONSTRAINT findings_code_check CHECK (code IN (''R01'', ''R02'', ''R03'', ''R04'', ''R05'', ''R06'', ''R07'', ''R08'', ''R09'', ''R10'', ''R11''))')
    WHERE type = 'table' AND name = 'findings';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT findings_severity_check CHECK (severity = ''error'' OR severity = ''warning'' OR severity = ''info'')', 'CONSTRAINT findings_severity_check CHECK (severity IN (''error'', ''warning'', ''info''))')
    WHERE type = 'table' AND name = 'findings';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_kind_check CHECK (kind = ''inspection'' OR kind = ''training'')', 'CONSTRAINT items_kind_check CHECK (kind IN (''inspection'', ''training''))')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_proposed_check CHECK (proposed = ''retain'' OR proposed = ''cancel'' OR proposed = ''extend_cycle'' OR proposed = ''convert_to_annual_report'' OR proposed = ''standardise'')', 'CONSTRAINT items_proposed_check CHECK (proposed IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_state_check CHECK (state = ''submitted'' OR state = ''under_review'' OR state = ''decided'' OR state = ''published'')', 'CONSTRAINT items_state_check CHECK (state IN (''submitted'', ''under_review'', ''decided'', ''published''))')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT items_tied_to_check CHECK (tied_to = ''issuance'' OR tied_to = ''inspection'' OR tied_to = ''both'')', 'CONSTRAINT items_tied_to_check CHECK (tied_to IN (''issuance'', ''inspection'', ''both''))')
    WHERE type = 'table' AND name = 'items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_bases_level_check CHECK (level = ''law'' OR level = ''admin_regulation'' OR level = ''state_council_decision'' OR level = ''departmental_rule'' OR level = ''local_regulation'' OR level = ''local_gov_rule'' OR level = ''normative_document'')', 'CONSTRAINT legal_bases_level_check CHECK (level IN (''law'', ''admin_regulation'', ''state_council_decision'', ''departmental_rule'', ''local_regulation'', ''local_gov_rule'', ''normative_document''))')
    WHERE type = 'table' AND name = 'legal_bases';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_documents_level_check CHECK (level = ''law'' OR level = ''admin_regulation'' OR level = ''state_council_decision'' OR level = ''departmental_rule'' OR level = ''local_regulation'' OR level = ''local_gov_rule'' OR level = ''normative_document'')', 'CONSTRAINT legal_documents_level_check CHECK (level IN (''law'', ''admin_regulation'', ''state_council_decision'', ''departmental_rule'', ''local_regulation'', ''local_gov_rule'', ''normative_document''))')
    WHERE type = 'table' AND name = 'legal_documents';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT legal_documents_status_check CHECK (status = ''in_force'' OR status = ''amended'' OR status = ''repealed'')', 'CONSTRAINT legal_documents_status_check CHECK (status IN (''in_force'', ''amended'', ''repealed''))')
    WHERE type = 'table' AND name = 'legal_documents';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_disposition_check CHECK (disposition = ''retain'' OR disposition = ''cancel'' OR disposition = ''extend_cycle'' OR disposition = ''convert_to_annual_report'' OR disposition = ''standardise'')', 'CONSTRAINT published_items_disposition_check CHECK (disposition IN (''retain'', ''cancel'', ''extend_cycle'', ''convert_to_annual_report'', ''standardise''))')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_kind_check CHECK (kind = ''inspection'' OR kind = ''training'')', 'CONSTRAINT published_items_kind_check CHECK (kind IN (''inspection'', ''training''))')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT published_items_list_check CHECK (list = ''retained'' OR list = ''converted'' OR list = ''cancelled'' OR list = ''trainings'')', 'CONSTRAINT published_items_list_check CHECK (list IN (''retained'', ''converted'', ''cancelled'', ''trainings''))')
    WHERE type = 'table' AND name = 'published_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT regions_level_check CHECK (level = ''province'' OR level = ''city'' OR level = ''county'' OR level = ''township'')', 'CONSTRAINT regions_level_check CHECK (level IN (''province'', ''city'', ''county'', ''township''))')
    WHERE type = 'table' AND name = 'regions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT submissions_format_check CHECK (format = ''xlsx'' OR format = ''xlsm'' OR format = ''xls'' OR format = ''ods'' OR format = ''csv'')', 'CONSTRAINT submissions_format_check CHECK (format IN (''xlsx'', ''xlsm'', ''xls'', ''ods'', ''csv''))')
    WHERE type = 'table' AND name = 'submissions';
UPDATE sqlite_schema SET sql = replace(sql, 'CONSTRAINT users_role_check CHECK (role = ''submitter'' OR role = ''reviewer'' OR role = ''admin'')', 'CONSTRAINT users_role_check CHECK (role IN (''submitter'', ''reviewer'', ''admin''))')
    WHERE type = 'table' AND name = 'users';

PRAGMA writable_schema = RESET;
CREATE TABLE nianjian_schema_changed (x INTEGER);
DROP TABLE nianjian_schema_changed;
