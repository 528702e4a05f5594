/*
 * The consent filter module's configuration: its directives, and the
 * creation and merging of its main and location configurations. A directive
 * is an entry in ngx_http_consent_commands, a field of the configuration
 * (ngx_http_consent.h) set up in create/merge, and, unless an ngx_conf_set_*
 * slot reads it, a handler here.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_consent.h"


static char *ngx_http_consent_rules(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_site(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_keyword(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_cookie(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_map(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_args(ngx_conf_t *cf, ngx_array_t **list);
static char *ngx_http_consent_content(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_first_party(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_check_min_size(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_consent_csp_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_consent_csp_report_uri(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_consent_ad_api_recipients(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


/* the keywords of consent_action, consent_unknown, consent_undecodable */
static ngx_conf_enum_t  ngx_http_consent_actions[] = {
    { ngx_string("strip"), NGX_HTTP_CONSENT_STRIP },
    { ngx_string("neutralize"), NGX_HTTP_CONSENT_NEUTRALIZE },
    { ngx_null_string, 0 }
};

static ngx_conf_enum_t  ngx_http_consent_unknown_policies[] = {
    { ngx_string("pass"), NGX_HTTP_CONSENT_UNKNOWN_PASS },
    { ngx_string("log"), NGX_HTTP_CONSENT_UNKNOWN_LOG },
    { ngx_string("strip"), NGX_HTTP_CONSENT_UNKNOWN_STRIP },
    { ngx_null_string, 0 }
};

static ngx_conf_enum_t  ngx_http_consent_undecodable_policies[] = {
    { ngx_string("strip_all"), NGX_HTTP_CONSENT_UNDECODABLE_STRIP_ALL },
    { ngx_string("pass"), NGX_HTTP_CONSENT_UNDECODABLE_PASS },
    { ngx_string("error"), NGX_HTTP_CONSENT_UNDECODABLE_ERROR },
    { ngx_null_string, 0 }
};


/* a size directive's lower bound, checked once it is read */
typedef struct {
    ngx_conf_post_handler_pt   post_handler;
    const char                *name;
    size_t                     min;
} ngx_http_consent_min_size_t;


static ngx_http_consent_min_size_t  ngx_http_consent_max_element_min = {
    ngx_http_consent_check_min_size, "consent_max_element_size", 1024
};

static ngx_http_consent_min_size_t  ngx_http_consent_max_decoded_min = {
    ngx_http_consent_check_min_size, "consent_max_decoded_size", 1024
};


/* the content handlers of consent_disclosure and consent_csp_report */
static ngx_http_handler_pt  ngx_http_consent_disclosure_content =
    ngx_http_consent_disclosure_handler;
static ngx_http_handler_pt  ngx_http_consent_csp_report_content =
    ngx_http_consent_csp_report_handler;


static ngx_conf_enum_t  ngx_http_consent_csp_values[] = {
    { ngx_string("off"), NGX_HTTP_CONSENT_CSP_OFF },
    { ngx_string("report"), NGX_HTTP_CONSENT_CSP_REPORT },
    { ngx_string("enforce"), NGX_HTTP_CONSENT_CSP_ENFORCE },
    { ngx_null_string, 0 }
};


ngx_command_t  ngx_http_consent_commands[] = {

    { ngx_string("consent"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, enable),
      NULL },

    { ngx_string("consent_rules"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_rules,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_site"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_site,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_consent_cookie,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_map"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_consent_map,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_gpc"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, gpc),
      NULL },

    { ngx_string("consent_google_consent_mode"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, consent_mode),
      NULL },

    { ngx_string("consent_action"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_keyword,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, action),
      ngx_http_consent_actions },

    { ngx_string("consent_unknown"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_keyword,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, unknown),
      ngx_http_consent_unknown_policies },

    { ngx_string("consent_first_party"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_consent_first_party,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_disclosure"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_consent_content,
      0,
      0,
      &ngx_http_consent_disclosure_content },

    { ngx_string("consent_types"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_types_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, types_keys),
      &ngx_http_html_default_types[0] },

    { ngx_string("consent_max_element_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, max_element_size),
      &ngx_http_consent_max_element_min },

    { ngx_string("consent_undecodable"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_keyword,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, undecodable),
      ngx_http_consent_undecodable_policies },

    { ngx_string("consent_max_decoded_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, max_decoded_size),
      &ngx_http_consent_max_decoded_min },

    { ngx_string("consent_csp"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_consent_keyword,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, csp),
      ngx_http_consent_csp_values },

    { ngx_string("consent_csp_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_consent_csp_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* checked against the policy without recipients at merge */
    { ngx_string("consent_csp_max_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, csp_max_size),
      NULL },

    { ngx_string("consent_csp_report_uri"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_consent_csp_report_uri,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_csp_report"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_consent_content,
      0,
      0,
      &ngx_http_consent_csp_report_content },

    { ngx_string("consent_permissions_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, permissions_policy),
      NULL },

    { ngx_string("consent_ad_api_recipients"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_consent_ad_api_recipients,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("consent_expose"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_consent_loc_conf_t, expose),
      NULL },

      ngx_null_command
};


void *
ngx_http_consent_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_main_conf_t));
}


void *
ngx_http_consent_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_consent_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_consent_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->site_name = { 0, NULL };
     *     conf->sources = NULL;
     *     conf->maps = NULL;
     *     conf->types = { NULL };
     *     conf->types_keys = NULL;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->action = NGX_CONF_UNSET_UINT;
    conf->site_variable = NGX_CONF_UNSET;
    conf->max_element_size = NGX_CONF_UNSET_SIZE;
    conf->gpc = NGX_CONF_UNSET;
    conf->consent_mode = NGX_CONF_UNSET;
    conf->unknown = NGX_CONF_UNSET_UINT;
    conf->undecodable = NGX_CONF_UNSET_UINT;
    conf->max_decoded_size = NGX_CONF_UNSET_SIZE;
    conf->first_party = NGX_CONF_UNSET_PTR;
    conf->csp = NGX_CONF_UNSET_UINT;
    conf->csp_allow = NGX_CONF_UNSET_PTR;
    conf->csp_max_size = NGX_CONF_UNSET_SIZE;
    conf->csp_report_to = NGX_CONF_UNSET;
    conf->permissions_policy = NGX_CONF_UNSET;
    conf->ad_api_recipients = NGX_CONF_UNSET_PTR;
    conf->expose = NGX_CONF_UNSET;

    return conf;
}


char *
ngx_http_consent_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_consent_loc_conf_t *prev = parent;
    ngx_http_consent_loc_conf_t *conf = child;

    int32_t                        site;
    ngx_uint_t                     i;
    cs_consent_map_t              *map;
    ngx_http_consent_source_t     *src;
    ngx_http_consent_main_conf_t  *mcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_uint_value(conf->action, prev->action,
                              NGX_HTTP_CONSENT_STRIP);
    ngx_conf_merge_value(conf->gpc, prev->gpc, 1);
    ngx_conf_merge_value(conf->consent_mode, prev->consent_mode, 0);
    ngx_conf_merge_uint_value(conf->unknown, prev->unknown,
                              NGX_HTTP_CONSENT_UNKNOWN_PASS);
    ngx_conf_merge_ptr_value(conf->first_party, prev->first_party, NULL);
    /* fail closed, loudly: see README, consent_undecodable */
    ngx_conf_merge_uint_value(conf->undecodable, prev->undecodable,
                              NGX_HTTP_CONSENT_UNDECODABLE_ERROR);
    ngx_conf_merge_size_value(conf->max_decoded_size, prev->max_decoded_size,
                              64 * 1024 * 1024);
    ngx_conf_merge_uint_value(conf->csp, prev->csp, NGX_HTTP_CONSENT_CSP_OFF);
    ngx_conf_merge_ptr_value(conf->csp_allow, prev->csp_allow, NULL);
    ngx_conf_merge_size_value(conf->csp_max_size, prev->csp_max_size, 4096);
    ngx_conf_merge_value(conf->permissions_policy, prev->permissions_policy,
                         0);
    ngx_conf_merge_ptr_value(conf->ad_api_recipients,
                             prev->ad_api_recipients, NULL);
    ngx_conf_merge_value(conf->expose, prev->expose, 0);

    if (conf->csp_report_uri.data == NULL) {
        conf->csp_report_uri = prev->csp_report_uri;
        conf->csp_report_to = prev->csp_report_to;
    }

    if (conf->sources == NULL) {
        conf->sources = prev->sources;
    }

    if (conf->maps == NULL) {
        conf->maps = prev->maps;
    }

    if (conf->sources == NULL) {
        /* the default: a plain list in the cookie "consent" */
        conf->sources = ngx_array_create(cf->pool, 1,
                                         sizeof(ngx_http_consent_source_t));
        if (conf->sources == NULL) {
            return NGX_CONF_ERROR;
        }
        src = ngx_array_push(conf->sources);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }
        ngx_str_set(&src->cookie, "consent");
        src->format = CS_CMP_LIST;
    }
    ngx_conf_merge_size_value(conf->max_element_size, prev->max_element_size,
                              256 * 1024);

    if (conf->site_name.data == NULL
        && conf->site_variable == NGX_CONF_UNSET)
    {
        conf->site_name = prev->site_name;
        conf->site_file = prev->site_file;
        conf->site_line = prev->site_line;
        conf->site_variable = prev->site_variable;
    }

    if (ngx_http_merge_types(cf, &conf->types_keys, &conf->types,
                             &prev->types_keys, &prev->types,
                             ngx_http_html_default_types)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf,
                                             ngx_http_consent_filter_module);

    if (ngx_http_consent_csp_merge(cf, conf,
                                   mcf->gen ? mcf->gen->rules : NULL)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (mcf->gen == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent on\" needs \"consent_rules\" "
                           "in the http block");
        return NGX_CONF_ERROR;
    }

    if (conf->site_name.data == NULL
        && conf->site_variable == NGX_CONF_UNSET)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent on\" needs \"consent_site\"");
        return NGX_CONF_ERROR;
    }

    if (conf->maps) {
        map = conf->maps->elts;
        for (i = 0; i < conf->maps->nelts; i++) {
            if (cs_rules_recipient_find(mcf->gen->rules, map[i].target,
                                        map[i].target_len) < 0
                && !cs_rules_is_category(mcf->gen->rules, map[i].target,
                                         map[i].target_len))
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "consent_map target \"%*s\" is neither a "
                                   "recipient nor a category in consent_rules "
                                   "\"%V\"", map[i].target_len,
                                   map[i].target, &mcf->path);
                return NGX_CONF_ERROR;
            }
        }
    }

    if (conf->site_name.data) {
        site = cs_rules_site_find(mcf->gen->rules,
                                  (const char *) conf->site_name.data,
                                  conf->site_name.len);
        if (site < 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "consent_site \"%V\" (%V:%ui) is not a site "
                               "in consent_rules \"%V\"",
                               &conf->site_name, &conf->site_file,
                               conf->site_line, &mcf->path);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_rules(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_main_conf_t *mcf = conf;

    ngx_str_t  *value;

    if (mcf->gen) {
        return "is duplicate";
    }

    value = cf->args->elts;
    mcf->path = value[1];

    if (ngx_conf_full_name(cf->cycle, &mcf->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_consent_gen_load_first(cf, mcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_site(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t  *value, name;

    if (lcf->site_name.data || lcf->site_variable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        return "takes a site name or a $variable";
    }

    if (value[1].data[0] == '$') {
        name.data = value[1].data + 1;
        name.len = value[1].len - 1;

        lcf->site_variable = ngx_http_get_variable_index(cf, &name);
        if (lcf->site_variable == NGX_ERROR) {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    /* checked against the rules once the whole http block is read */
    lcf->site_name = value[1];
    lcf->site_file = cf->conf_file->file.name;
    lcf->site_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_cookie(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    int                         format;
    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_consent_source_t  *src;

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_cookie\" needs a cookie name");
        return NGX_CONF_ERROR;
    }

    format = CS_CMP_LIST;
    if (cf->args->nelts == 3) {
        format = cs_cmp_format_from_name((const char *) value[2].data,
                                         value[2].len);
        if (format < 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_cookie\" format \"%V\", "
                               "it must be \"list\", \"onetrust\", "
                               "\"cookiebot\", \"cc_cookie\", \"klaro\" "
                               "or \"tcf\"", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    if (lcf->sources == NULL) {
        lcf->sources = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_consent_source_t));
        if (lcf->sources == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    src = lcf->sources->elts;
    for (i = 0; i < lcf->sources->nelts; i++) {
        if (src[i].cookie.len == value[1].len
            && ngx_strncmp(src[i].cookie.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate \"consent_cookie\" \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    src = ngx_array_push(lcf->sources);
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    src->cookie = value[1];
    src->format = format;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_map(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    int                format;
    ngx_str_t         *value;
    cs_consent_map_t  *map;

    value = cf->args->elts;

    format = cs_cmp_format_from_name((const char *) value[1].data,
                                     value[1].len);
    if (format < 0 || format == CS_CMP_LIST || format == CS_CMP_TCF) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"consent_map\" format \"%V\", it "
                           "must be \"onetrust\", \"cookiebot\", "
                           "\"cc_cookie\" or \"klaro\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (value[2].len == 0 || value[3].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"consent_map\" needs a name and a recipient "
                           "or category");
        return NGX_CONF_ERROR;
    }

    if (lcf->maps == NULL) {
        lcf->maps = ngx_array_create(cf->pool, 4, sizeof(cs_consent_map_t));
        if (lcf->maps == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    map = ngx_array_push(lcf->maps);
    if (map == NULL) {
        return NGX_CONF_ERROR;
    }

    /* the target is checked against the rules once the http block is read */
    map->format = format;
    map->name = (const char *) value[2].data;
    map->name_len = value[2].len;
    map->target = (const char *) value[3].data;
    map->target_len = value[3].len;

    return NGX_CONF_OK;
}


/*
 * A directive taking one keyword of cmd->post (an ngx_conf_enum_t list),
 * kept as an ngx_uint_t at cmd->offset. A wrong value fails naming the
 * directive and the keywords it takes (ngx_conf_set_enum_slot names
 * neither).
 */
static char *
ngx_http_consent_keyword(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    u_char           *last, list[128];
    ngx_str_t        *value;
    ngx_uint_t       *field, i;
    ngx_conf_enum_t  *e;

    field = (ngx_uint_t *) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len; i++) {
        if (e[i].name.len == value[1].len
            && ngx_strncmp(e[i].name.data, value[1].data, value[1].len) == 0)
        {
            *field = e[i].value;
            return NGX_CONF_OK;
        }
    }

    last = list;
    for (i = 0; e[i].name.len; i++) {
        last = ngx_slprintf(last, list + sizeof(list), "%s\"%V\"",
                            i == 0 ? "" : e[i + 1].name.len ? ", " : " or ",
                            &e[i].name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid \"%V\" value \"%V\", it must be %*s",
                       &cmd->name, &value[1], last - list, list);

    return NGX_CONF_ERROR;
}


/* A directive that makes the location's content handler cmd->post's. */
static char *
ngx_http_consent_content(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = *(ngx_http_handler_pt *) cmd->post;

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_first_party(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    char        *rv;
    ngx_str_t   *value, *suffix;
    ngx_uint_t   i;

    rv = ngx_http_consent_args(cf, &lcf->first_party);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;
    suffix = lcf->first_party->elts;

    for (i = 1; i < cf->args->nelts; i++, suffix++) {
        if (suffix->len && suffix->data[0] == '.') {
            suffix->data++;
            suffix->len--;
        }

        if (suffix->len == 0
            || ngx_strlchr(suffix->data, suffix->data + suffix->len, '/')
            || ngx_strlchr(suffix->data, suffix->data + suffix->len, ':'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_first_party\" host "
                               "suffix \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        ngx_strlow(suffix->data, suffix->data, suffix->len);
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_check_min_size(ngx_conf_t *cf, void *post, void *data)
{
    ngx_http_consent_min_size_t *bound = post;

    size_t *sp = data;

    if (*sp < bound->min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%s\" %uz is too small, it must be at least "
                           "%uzk", bound->name, *sp, bound->min / 1024);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_csp_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t     *value;
    ngx_uint_t     i;
    cs_csp_str_t  *src;

    if (lcf->csp_allow == NGX_CONF_UNSET_PTR) {
        lcf->csp_allow = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                          sizeof(cs_csp_str_t));
        if (lcf->csp_allow == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (!cs_csp_source_valid((const char *) value[i].data, value[i].len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_csp_allow\" source \"%V\": "
                               "one source per argument, printable, without "
                               "spaces, commas, semicolons or double quotes; "
                               "a keyword in single quotes, written "
                               "\"'unsafe-eval'\" in nginx.conf",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        src = ngx_array_push(lcf->csp_allow);
        if (src == NULL) {
            return NGX_CONF_ERROR;
        }

        src->data = (const char *) value[i].data;
        src->len = value[i].len;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_csp_report_uri(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    ngx_str_t  *value;

    if (lcf->csp_report_uri.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!cs_csp_source_valid((const char *) value[1].data, value[1].len)
        || value[1].data[0] == '\'')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"consent_csp_report_uri\" \"%V\": a URI "
                           "without spaces, quotes, commas or semicolons",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    lcf->csp_report_uri = value[1];
    lcf->csp_report_to = 1;

    if (cf->args->nelts == 3) {
        if (value[2].len == 12
            && ngx_strncmp(value[2].data, "report-to=on", 12) == 0)
        {
            lcf->csp_report_to = 1;

        } else if (value[2].len == 13
                   && ngx_strncmp(value[2].data, "report-to=off", 13) == 0)
        {
            lcf->csp_report_to = 0;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"consent_csp_report_uri\" parameter "
                               "\"%V\", it must be \"report-to=on\" or "
                               "\"report-to=off\"", &value[2]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_consent_ad_api_recipients(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_consent_loc_conf_t *lcf = conf;

    /* checked against the rules at merge */
    return ngx_http_consent_args(cf, &lcf->ad_api_recipients);
}


/*
 * A directive's arguments as an array of ngx_str_t in *list, which must
 * still be unset: the directive is given once per level.
 */
static char *
ngx_http_consent_args(ngx_conf_t *cf, ngx_array_t **list)
{
    ngx_str_t   *value, *arg;
    ngx_uint_t   i;

    if (*list != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *list = ngx_array_create(cf->pool, cf->args->nelts - 1,
                             sizeof(ngx_str_t));
    if (*list == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        arg = ngx_array_push(*list);
        if (arg == NULL) {
            return NGX_CONF_ERROR;
        }
        *arg = value[i];
    }

    return NGX_CONF_OK;
}
