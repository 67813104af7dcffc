-- job_submit.lua for wlgen's job-submit-walltime scenario (and a starting point for
-- your own): clamp every job's time limit to at most MAX_MINUTES and say so in the
-- job's comment. Jobs asking for less keep their limit. Slurm looks for this file as
-- /etc/slurm/job_submit.lua (next to slurm.conf) when JobSubmitPlugins=lua; wlgen
-- mounts it there on the controller (scenario key `job_submit: {lua: FILE}`).
--
-- time_limit is in minutes; slurm.NO_VAL means the job gave none (the partition's
-- default would apply: clamp that too, the partition here has MaxTime=INFINITE).

local MAX_MINUTES = 2

function slurm_job_submit(job_desc, part_list, submit_uid)
    local asked = job_desc.time_limit
    if asked == slurm.NO_VAL or asked > MAX_MINUTES then
        job_desc.time_limit = MAX_MINUTES
        local was = (asked == slurm.NO_VAL) and "none" or tostring(asked)
        job_desc.comment = "limit_walltime: time limit " .. was .. " -> " ..
            MAX_MINUTES .. " min"
    end
    return slurm.SUCCESS
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
    return slurm.SUCCESS
end
