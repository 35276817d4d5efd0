--
-- PostgreSQL database dump
--

\restrict Zxwyilqtqp1j2pkNHtgvRjnybeBOzuDBeV8yZQeI6ZQP4qhFQT0iUaGvXEI2Zgb

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: org_memberrole; Type: TYPE; Schema: public; Owner: -
--

CREATE TYPE public.org_memberrole AS ENUM (
    'member',
    'admin',
    'manager',
    'owner'
);


--
-- Name: org_organization_sync_mapping(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.org_organization_sync_mapping() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE org_organizationmapping
       SET slug = NEW.slug,
           name = NEW.name,
           status = NEW.status
     WHERE organization_id = NEW.id;
    RETURN NEW;
END;
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: alert_incident; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alert_incident (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    alert_rule_id bigint,
    identifier integer NOT NULL,
    title text NOT NULL,
    status integer NOT NULL,
    date_started timestamp with time zone NOT NULL,
    date_closed timestamp with time zone
);


--
-- Name: alert_incident_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alert_incident_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alert_incident_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alert_incident_id_seq OWNED BY public.alert_incident.id;


--
-- Name: alert_rule; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alert_rule (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    name text NOT NULL,
    status smallint NOT NULL,
    threshold_period integer NOT NULL,
    owner_user_id bigint,
    owner_team_id bigint,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: alert_rule_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alert_rule_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alert_rule_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alert_rule_id_seq OWNED BY public.alert_rule.id;


--
-- Name: alert_ruletrigger; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alert_ruletrigger (
    id bigint NOT NULL,
    alert_rule_id bigint NOT NULL,
    label text NOT NULL,
    threshold_type smallint,
    alert_threshold double precision NOT NULL,
    resolve_threshold double precision,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: alert_ruletrigger_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alert_ruletrigger_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alert_ruletrigger_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alert_ruletrigger_id_seq OWNED BY public.alert_ruletrigger.id;


--
-- Name: alert_ruletriggeraction; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.alert_ruletriggeraction (
    id bigint NOT NULL,
    alert_rule_trigger_id bigint NOT NULL,
    type smallint NOT NULL,
    target_type smallint NOT NULL,
    target_identifier text,
    integration_id bigint,
    sentry_app_id bigint,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: alert_ruletriggeraction_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.alert_ruletriggeraction_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: alert_ruletriggeraction_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.alert_ruletriggeraction_id_seq OWNED BY public.alert_ruletriggeraction.id;


--
-- Name: app_sentryapp; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_sentryapp (
    id bigint NOT NULL,
    application_id bigint,
    proxy_user_id bigint,
    owner_id bigint,
    name text NOT NULL,
    slug character varying(64) NOT NULL,
    uuid uuid NOT NULL,
    status integer NOT NULL,
    scope_list text[] NOT NULL,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT app_sentryapp_status_check CHECK ((status >= 0))
);


--
-- Name: app_sentryapp_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.app_sentryapp_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: app_sentryapp_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.app_sentryapp_id_seq OWNED BY public.app_sentryapp.id;


--
-- Name: app_sentryappinstallation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_sentryappinstallation (
    id bigint NOT NULL,
    sentry_app_id bigint NOT NULL,
    organization_id bigint NOT NULL,
    uuid uuid NOT NULL,
    status integer NOT NULL,
    date_added timestamp with time zone NOT NULL,
    date_deleted timestamp with time zone,
    CONSTRAINT app_sentryappinstallation_status_check CHECK ((status >= 0))
);


--
-- Name: app_sentryappinstallation_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.app_sentryappinstallation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: app_sentryappinstallation_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.app_sentryappinstallation_id_seq OWNED BY public.app_sentryappinstallation.id;


--
-- Name: app_sentryappinstallationtoken; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.app_sentryappinstallationtoken (
    id bigint NOT NULL,
    api_token_id bigint NOT NULL,
    sentry_app_installation_id bigint NOT NULL
);


--
-- Name: app_sentryappinstallationtoken_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.app_sentryappinstallationtoken_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: app_sentryappinstallationtoken_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.app_sentryappinstallationtoken_id_seq OWNED BY public.app_sentryappinstallationtoken.id;


--
-- Name: auth_apiapplication; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_apiapplication (
    id bigint NOT NULL,
    client_id character varying(64) NOT NULL,
    client_secret text NOT NULL,
    owner_id bigint,
    name character varying(64) NOT NULL,
    status integer NOT NULL,
    allowed_origins text,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT auth_apiapplication_status_check CHECK ((status >= 0))
);


--
-- Name: auth_apiapplication_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_apiapplication_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_apiapplication_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_apiapplication_id_seq OWNED BY public.auth_apiapplication.id;


--
-- Name: auth_apigrant; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_apigrant (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    application_id bigint NOT NULL,
    code character varying(64) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    redirect_uri character varying(255) NOT NULL,
    scope_list text[] NOT NULL
);


--
-- Name: auth_apigrant_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_apigrant_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_apigrant_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_apigrant_id_seq OWNED BY public.auth_apigrant.id;


--
-- Name: auth_apitoken; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_apitoken (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    application_id bigint,
    scope_list text[] NOT NULL,
    token character varying(71) NOT NULL,
    expires_at timestamp with time zone,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: auth_apitoken_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_apitoken_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_apitoken_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_apitoken_id_seq OWNED BY public.auth_apitoken.id;


--
-- Name: auth_authenticator; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_authenticator (
    id integer NOT NULL,
    user_id bigint NOT NULL,
    type integer NOT NULL,
    config text NOT NULL,
    created_at timestamp with time zone NOT NULL,
    last_used_at timestamp with time zone,
    CONSTRAINT auth_authenticator_type_check CHECK ((type >= 0))
);


--
-- Name: auth_authenticator_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_authenticator_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_authenticator_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_authenticator_id_seq OWNED BY public.auth_authenticator.id;


--
-- Name: auth_identity; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_identity (
    id bigint NOT NULL,
    idp_id bigint NOT NULL,
    user_id bigint NOT NULL,
    ident character varying(255) NOT NULL,
    data jsonb NOT NULL,
    status integer NOT NULL,
    date_verified timestamp with time zone NOT NULL,
    CONSTRAINT auth_identity_status_check CHECK ((status >= 0))
);


--
-- Name: auth_identity_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_identity_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_identity_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_identity_id_seq OWNED BY public.auth_identity.id;


--
-- Name: auth_identityprovider; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_identityprovider (
    id bigint NOT NULL,
    type character varying(64) NOT NULL,
    organization_id bigint NOT NULL,
    external_id character varying(64),
    config jsonb NOT NULL,
    date_added timestamp with time zone
);


--
-- Name: auth_identityprovider_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_identityprovider_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_identityprovider_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_identityprovider_id_seq OWNED BY public.auth_identityprovider.id;


--
-- Name: auth_permission; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_permission (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    content_type_id integer NOT NULL,
    codename character varying(100) NOT NULL
);


--
-- Name: auth_permission_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_permission_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_permission_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_permission_id_seq OWNED BY public.auth_permission.id;


--
-- Name: auth_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_user (
    id bigint NOT NULL,
    password character varying(128) NOT NULL,
    last_login timestamp with time zone,
    username character varying(128) NOT NULL,
    name character varying(200) NOT NULL,
    email character varying(254) NOT NULL,
    is_staff boolean NOT NULL,
    is_active boolean NOT NULL,
    is_superuser boolean NOT NULL,
    date_joined timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: auth_user_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.auth_user ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.auth_user_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: auth_user_user_permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_user_user_permissions (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    permission_id integer NOT NULL
);


--
-- Name: auth_user_user_permissions_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_user_user_permissions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_user_user_permissions_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_user_user_permissions_id_seq OWNED BY public.auth_user_user_permissions.id;


--
-- Name: auth_useravatar; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_useravatar (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    ident uuid NOT NULL,
    avatar_type smallint NOT NULL,
    control_file_id bigint,
    CONSTRAINT auth_useravatar_avatar_type_check CHECK ((avatar_type >= 0))
);


--
-- Name: auth_useravatar_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_useravatar_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_useravatar_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_useravatar_id_seq OWNED BY public.auth_useravatar.id;


--
-- Name: auth_useremail; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_useremail (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    email character varying(254) NOT NULL,
    validation_hash character varying(32) NOT NULL,
    date_hash_added timestamp with time zone NOT NULL,
    is_verified boolean NOT NULL
);


--
-- Name: auth_useremail_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_useremail_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_useremail_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_useremail_id_seq OWNED BY public.auth_useremail.id;


--
-- Name: auth_userip; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.auth_userip (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    ip_address inet NOT NULL,
    country_code character varying(16),
    first_seen timestamp with time zone NOT NULL,
    last_seen timestamp with time zone NOT NULL
);


--
-- Name: auth_userip_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.auth_userip_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: auth_userip_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.auth_userip_id_seq OWNED BY public.auth_userip.id;


--
-- Name: django_content_type; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.django_content_type (
    id integer NOT NULL,
    app_label character varying(100) NOT NULL,
    model character varying(100) NOT NULL
);


--
-- Name: django_content_type_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.django_content_type_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: django_content_type_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.django_content_type_id_seq OWNED BY public.django_content_type.id;


--
-- Name: django_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.django_migrations (
    id integer NOT NULL,
    app character varying(255) NOT NULL,
    name character varying(255) NOT NULL,
    applied timestamp with time zone NOT NULL
);


--
-- Name: django_migrations_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.django_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: django_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.django_migrations_id_seq OWNED BY public.django_migrations.id;


--
-- Name: integ_integration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.integ_integration (
    id bigint NOT NULL,
    provider character varying(64) NOT NULL,
    external_id character varying(64) NOT NULL,
    name character varying(200) NOT NULL,
    metadata jsonb NOT NULL,
    status integer,
    date_added timestamp with time zone,
    CONSTRAINT integ_integration_status_check CHECK ((status >= 0))
);


--
-- Name: integ_integration_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.integ_integration_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: integ_integration_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.integ_integration_id_seq OWNED BY public.integ_integration.id;


--
-- Name: integ_organizationintegration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.integ_organizationintegration (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    integration_id bigint NOT NULL,
    config jsonb NOT NULL,
    default_auth_id bigint,
    status integer NOT NULL,
    date_added timestamp with time zone,
    CONSTRAINT integ_organizationintegration_status_check CHECK ((status >= 0))
);


--
-- Name: integ_organizationintegration_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.integ_organizationintegration_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: integ_organizationintegration_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.integ_organizationintegration_id_seq OWNED BY public.integ_organizationintegration.id;


--
-- Name: integ_repository; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.integ_repository (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    name character varying(200) NOT NULL,
    url character varying(200),
    integration_provider character varying(64),
    integration_external_id character varying(64),
    status integer NOT NULL,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT integ_repository_status_check CHECK ((status >= 0))
);


--
-- Name: integ_repository_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.integ_repository_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: integ_repository_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.integ_repository_id_seq OWNED BY public.integ_repository.id;


--
-- Name: issue_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_event (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint,
    event_id character(32) NOT NULL,
    platform character varying(64),
    message text NOT NULL,
    data jsonb,
    date_added timestamp with time zone NOT NULL
)
PARTITION BY RANGE (date_added);


--
-- Name: issue_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issue_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: issue_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issue_event_id_seq OWNED BY public.issue_event.id;


--
-- Name: issue_event_2024; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_event_2024 (
    id bigint DEFAULT nextval('public.issue_event_id_seq'::regclass) NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint,
    event_id character(32) NOT NULL,
    platform character varying(64),
    message text NOT NULL,
    data jsonb,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: issue_event_2025; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_event_2025 (
    id bigint DEFAULT nextval('public.issue_event_id_seq'::regclass) NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint,
    event_id character(32) NOT NULL,
    platform character varying(64),
    message text NOT NULL,
    data jsonb,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: issue_event_default; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_event_default (
    id bigint DEFAULT nextval('public.issue_event_id_seq'::regclass) NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint,
    event_id character(32) NOT NULL,
    platform character varying(64),
    message text NOT NULL,
    data jsonb,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: issue_group; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_group (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    short_id bigint,
    message text NOT NULL,
    culprit character varying(200),
    status integer NOT NULL,
    times_seen integer NOT NULL,
    first_seen timestamp with time zone NOT NULL,
    last_seen timestamp with time zone NOT NULL,
    first_release_id bigint,
    CONSTRAINT issue_group_status_check CHECK ((status >= 0)),
    CONSTRAINT issue_group_times_seen_check CHECK ((times_seen >= 0))
);


--
-- Name: issue_group_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.issue_group ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.issue_group_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: issue_groupassignee; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_groupassignee (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint NOT NULL,
    user_id bigint,
    team_id bigint,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: issue_groupassignee_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issue_groupassignee_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: issue_groupassignee_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issue_groupassignee_id_seq OWNED BY public.issue_groupassignee.id;


--
-- Name: issue_groupbookmark; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_groupbookmark (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    group_id bigint NOT NULL,
    user_id bigint NOT NULL,
    date_added timestamp with time zone
);


--
-- Name: issue_groupbookmark_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issue_groupbookmark_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: issue_groupbookmark_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issue_groupbookmark_id_seq OWNED BY public.issue_groupbookmark.id;


--
-- Name: issue_grouphash; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.issue_grouphash (
    id bigint NOT NULL,
    project_id bigint,
    group_id bigint,
    hash character varying(32) NOT NULL,
    state integer,
    CONSTRAINT issue_grouphash_state_check CHECK ((state >= 0))
);


--
-- Name: issue_grouphash_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.issue_grouphash_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: issue_grouphash_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.issue_grouphash_id_seq OWNED BY public.issue_grouphash.id;


--
-- Name: issue_project_counts_mv; Type: MATERIALIZED VIEW; Schema: public; Owner: -
--

CREATE MATERIALIZED VIEW public.issue_project_counts_mv AS
 SELECT g.project_id,
    count(*) FILTER (WHERE (g.status = 0)) AS unresolved,
    count(*) AS total,
    max(g.last_seen) AS last_seen
   FROM public.issue_group g
  GROUP BY g.project_id
  WITH NO DATA;


--
-- Name: notif_settingoption; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notif_settingoption (
    id bigint NOT NULL,
    user_id bigint,
    project_id bigint,
    scope_type character varying(32) NOT NULL,
    scope_identifier bigint NOT NULL,
    type character varying(32) NOT NULL,
    value character varying(32) NOT NULL,
    date_updated timestamp with time zone NOT NULL
);


--
-- Name: notif_settingoption_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.notif_settingoption_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notif_settingoption_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.notif_settingoption_id_seq OWNED BY public.notif_settingoption.id;


--
-- Name: notif_settingprovider; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.notif_settingprovider (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    scope_type character varying(32) NOT NULL,
    scope_identifier bigint NOT NULL,
    provider character varying(32) NOT NULL,
    type character varying(32) NOT NULL,
    value character varying(32) NOT NULL
);


--
-- Name: notif_settingprovider_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.notif_settingprovider_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notif_settingprovider_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.notif_settingprovider_id_seq OWNED BY public.notif_settingprovider.id;


--
-- Name: org_auditlogentry; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_auditlogentry (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    actor_id bigint,
    actor_label character varying(64),
    target_object bigint,
    target_user_id bigint,
    event integer NOT NULL,
    ip_address inet,
    data jsonb NOT NULL,
    datetime timestamp with time zone NOT NULL,
    CONSTRAINT org_auditlogentry_event_check CHECK ((event >= 0)),
    CONSTRAINT org_auditlogentry_target_object_check CHECK ((target_object >= 0))
);


--
-- Name: TABLE org_auditlogentry; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.org_auditlogentry IS 'Who did what in an organization. actor_id is kept (SET NULL) when the user is deleted; actor_label keeps the name.';


--
-- Name: org_auditlogentry_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_auditlogentry_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_auditlogentry_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_auditlogentry_id_seq OWNED BY public.org_auditlogentry.id;


--
-- Name: org_member; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_member (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    user_id bigint,
    email character varying(75),
    role public.org_memberrole DEFAULT 'member'::public.org_memberrole NOT NULL,
    token character varying(64),
    inviter_id bigint,
    has_global_access boolean NOT NULL,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: org_organization; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_organization (
    id bigint NOT NULL,
    name character varying(64) NOT NULL,
    slug character varying(50) NOT NULL,
    status integer NOT NULL,
    default_role character varying(32) NOT NULL,
    flags bigint NOT NULL,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT org_organization_status_check CHECK ((status >= 0))
);


--
-- Name: org_member_directory_v; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.org_member_directory_v AS
 SELECT m.id AS member_id,
    o.id AS organization_id,
    o.slug AS organization_slug,
    m.role,
    u.username,
    COALESCE(u.email, m.email) AS email,
    m.date_added
   FROM ((public.org_member m
     JOIN public.org_organization o ON ((o.id = m.organization_id)))
     LEFT JOIN public.auth_user u ON ((u.id = m.user_id)));


--
-- Name: org_member_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_member_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_member_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_member_id_seq OWNED BY public.org_member.id;


--
-- Name: org_membermapping; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_membermapping (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    organizationmember_id bigint NOT NULL,
    email character varying(75),
    role character varying(32) NOT NULL,
    inviter_id bigint,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: org_membermapping_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_membermapping_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_membermapping_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_membermapping_id_seq OWNED BY public.org_membermapping.id;


--
-- Name: org_memberteam; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_memberteam (
    id bigint NOT NULL,
    team_id bigint NOT NULL,
    organizationmember_id bigint NOT NULL,
    is_active boolean NOT NULL,
    role character varying(32)
);


--
-- Name: org_memberteam_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_memberteam_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_memberteam_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_memberteam_id_seq OWNED BY public.org_memberteam.id;


--
-- Name: org_onboardingtask; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_onboardingtask (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    user_id bigint,
    project_id bigint,
    task integer NOT NULL,
    status integer NOT NULL,
    date_completed timestamp with time zone NOT NULL,
    data jsonb NOT NULL,
    CONSTRAINT org_onboardingtask_status_check CHECK ((status >= 0)),
    CONSTRAINT org_onboardingtask_task_check CHECK ((task >= 0))
);


--
-- Name: org_onboardingtask_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_onboardingtask_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_onboardingtask_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_onboardingtask_id_seq OWNED BY public.org_onboardingtask.id;


--
-- Name: org_option; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_option (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    key character varying(64) NOT NULL,
    value jsonb NOT NULL
);


--
-- Name: org_option_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_option_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_option_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_option_id_seq OWNED BY public.org_option.id;


--
-- Name: org_organization_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.org_organization ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.org_organization_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: org_organizationmapping; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_organizationmapping (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    slug character varying(50) NOT NULL,
    name character varying(64) NOT NULL,
    status integer,
    region_name character varying(48) NOT NULL,
    date_created timestamp with time zone NOT NULL
);


--
-- Name: COLUMN org_organizationmapping.region_name; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.org_organizationmapping.region_name IS 'Region silo instance that owns the organization (us, de).';


--
-- Name: org_organizationmapping_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_organizationmapping_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_organizationmapping_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_organizationmapping_id_seq OWNED BY public.org_organizationmapping.id;


--
-- Name: org_slugreservation; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_slugreservation (
    slug character varying(50) NOT NULL,
    organization_id bigint NOT NULL,
    user_id bigint NOT NULL,
    region_name character varying(48) NOT NULL,
    reservation_type integer NOT NULL,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT org_slugreservation_reservation_type_check CHECK ((reservation_type >= 0))
);


--
-- Name: org_team; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.org_team (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    slug character varying(50) NOT NULL,
    name character varying(64) NOT NULL,
    status integer NOT NULL,
    date_added timestamp with time zone,
    CONSTRAINT org_team_status_check CHECK ((status >= 0))
);


--
-- Name: org_team_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.org_team_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: org_team_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.org_team_id_seq OWNED BY public.org_team.id;


--
-- Name: proj_environment; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_environment (
    id integer NOT NULL,
    organization_id bigint NOT NULL,
    name character varying(64) NOT NULL,
    date_added timestamp with time zone NOT NULL
);


--
-- Name: proj_environment_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proj_environment_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proj_environment_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proj_environment_id_seq OWNED BY public.proj_environment.id;


--
-- Name: proj_project; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_project (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    slug character varying(50),
    name character varying(200) NOT NULL,
    status integer NOT NULL,
    platform character varying(64),
    first_event timestamp with time zone,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT proj_project_status_check CHECK ((status >= 0))
);


--
-- Name: proj_project_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.proj_project ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.proj_project_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: proj_projectkey; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_projectkey (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    label character varying(64),
    public_key character varying(32),
    secret_key character varying(32),
    status integer NOT NULL,
    rate_limit_count integer,
    date_added timestamp with time zone,
    CONSTRAINT proj_projectkey_rate_limit_count_check CHECK ((rate_limit_count >= 0)),
    CONSTRAINT proj_projectkey_status_check CHECK ((status >= 0))
);


--
-- Name: proj_projectkey_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proj_projectkey_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proj_projectkey_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proj_projectkey_id_seq OWNED BY public.proj_projectkey.id;


--
-- Name: proj_projectoption; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_projectoption (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    key character varying(64) NOT NULL,
    value jsonb NOT NULL
);


--
-- Name: proj_projectoption_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proj_projectoption_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proj_projectoption_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proj_projectoption_id_seq OWNED BY public.proj_projectoption.id;


--
-- Name: proj_projectteam; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_projectteam (
    id bigint NOT NULL,
    project_id bigint NOT NULL,
    team_id bigint NOT NULL
);


--
-- Name: proj_projectteam_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proj_projectteam_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proj_projectteam_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proj_projectteam_id_seq OWNED BY public.proj_projectteam.id;


--
-- Name: proj_servicehook; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.proj_servicehook (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    project_id bigint,
    sentry_app_uuid uuid,
    url character varying(512) NOT NULL,
    secret text NOT NULL,
    events text[] NOT NULL,
    status integer NOT NULL,
    date_added timestamp with time zone NOT NULL,
    CONSTRAINT proj_servicehook_status_check CHECK ((status >= 0))
);


--
-- Name: proj_servicehook_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.proj_servicehook_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: proj_servicehook_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.proj_servicehook_id_seq OWNED BY public.proj_servicehook.id;


--
-- Name: rel_commit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rel_commit (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    repository_id bigint NOT NULL,
    key character varying(64) NOT NULL,
    message text,
    author_email character varying(200),
    date_added timestamp with time zone NOT NULL
);


--
-- Name: rel_commit_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rel_commit_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rel_commit_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rel_commit_id_seq OWNED BY public.rel_commit.id;


--
-- Name: rel_deploy; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rel_deploy (
    id integer NOT NULL,
    organization_id bigint NOT NULL,
    release_id bigint NOT NULL,
    environment_id integer NOT NULL,
    name character varying(64),
    url character varying(200),
    date_started timestamp with time zone,
    date_finished timestamp with time zone NOT NULL
);


--
-- Name: rel_deploy_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rel_deploy_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rel_deploy_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rel_deploy_id_seq OWNED BY public.rel_deploy.id;


--
-- Name: rel_release; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rel_release (
    id bigint NOT NULL,
    organization_id bigint NOT NULL,
    version character varying(250) NOT NULL,
    ref character varying(250),
    url character varying(200),
    owner_id bigint,
    data jsonb NOT NULL,
    date_added timestamp with time zone NOT NULL,
    date_released timestamp with time zone
);


--
-- Name: rel_release_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rel_release_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rel_release_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rel_release_id_seq OWNED BY public.rel_release.id;


--
-- Name: rel_releaseproject; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rel_releaseproject (
    id bigint NOT NULL,
    release_id bigint NOT NULL,
    project_id bigint NOT NULL,
    new_groups integer,
    CONSTRAINT rel_releaseproject_new_groups_check CHECK ((new_groups >= 0))
);


--
-- Name: rel_releaseproject_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rel_releaseproject_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rel_releaseproject_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rel_releaseproject_id_seq OWNED BY public.rel_releaseproject.id;


--
-- Name: issue_event_2024; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event ATTACH PARTITION public.issue_event_2024 FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00');


--
-- Name: issue_event_2025; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event ATTACH PARTITION public.issue_event_2025 FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00');


--
-- Name: issue_event_default; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event ATTACH PARTITION public.issue_event_default DEFAULT;


--
-- Name: alert_incident id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_incident ALTER COLUMN id SET DEFAULT nextval('public.alert_incident_id_seq'::regclass);


--
-- Name: alert_rule id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_rule ALTER COLUMN id SET DEFAULT nextval('public.alert_rule_id_seq'::regclass);


--
-- Name: alert_ruletrigger id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletrigger ALTER COLUMN id SET DEFAULT nextval('public.alert_ruletrigger_id_seq'::regclass);


--
-- Name: alert_ruletriggeraction id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletriggeraction ALTER COLUMN id SET DEFAULT nextval('public.alert_ruletriggeraction_id_seq'::regclass);


--
-- Name: app_sentryapp id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp ALTER COLUMN id SET DEFAULT nextval('public.app_sentryapp_id_seq'::regclass);


--
-- Name: app_sentryappinstallation id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallation ALTER COLUMN id SET DEFAULT nextval('public.app_sentryappinstallation_id_seq'::regclass);


--
-- Name: app_sentryappinstallationtoken id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallationtoken ALTER COLUMN id SET DEFAULT nextval('public.app_sentryappinstallationtoken_id_seq'::regclass);


--
-- Name: auth_apiapplication id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apiapplication ALTER COLUMN id SET DEFAULT nextval('public.auth_apiapplication_id_seq'::regclass);


--
-- Name: auth_apigrant id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apigrant ALTER COLUMN id SET DEFAULT nextval('public.auth_apigrant_id_seq'::regclass);


--
-- Name: auth_apitoken id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apitoken ALTER COLUMN id SET DEFAULT nextval('public.auth_apitoken_id_seq'::regclass);


--
-- Name: auth_authenticator id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_authenticator ALTER COLUMN id SET DEFAULT nextval('public.auth_authenticator_id_seq'::regclass);


--
-- Name: auth_identity id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity ALTER COLUMN id SET DEFAULT nextval('public.auth_identity_id_seq'::regclass);


--
-- Name: auth_identityprovider id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identityprovider ALTER COLUMN id SET DEFAULT nextval('public.auth_identityprovider_id_seq'::regclass);


--
-- Name: auth_permission id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_permission ALTER COLUMN id SET DEFAULT nextval('public.auth_permission_id_seq'::regclass);


--
-- Name: auth_user_user_permissions id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user_user_permissions ALTER COLUMN id SET DEFAULT nextval('public.auth_user_user_permissions_id_seq'::regclass);


--
-- Name: auth_useravatar id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useravatar ALTER COLUMN id SET DEFAULT nextval('public.auth_useravatar_id_seq'::regclass);


--
-- Name: auth_useremail id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useremail ALTER COLUMN id SET DEFAULT nextval('public.auth_useremail_id_seq'::regclass);


--
-- Name: auth_userip id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_userip ALTER COLUMN id SET DEFAULT nextval('public.auth_userip_id_seq'::regclass);


--
-- Name: django_content_type id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_content_type ALTER COLUMN id SET DEFAULT nextval('public.django_content_type_id_seq'::regclass);


--
-- Name: django_migrations id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_migrations ALTER COLUMN id SET DEFAULT nextval('public.django_migrations_id_seq'::regclass);


--
-- Name: integ_integration id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_integration ALTER COLUMN id SET DEFAULT nextval('public.integ_integration_id_seq'::regclass);


--
-- Name: integ_organizationintegration id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_organizationintegration ALTER COLUMN id SET DEFAULT nextval('public.integ_organizationintegration_id_seq'::regclass);


--
-- Name: integ_repository id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_repository ALTER COLUMN id SET DEFAULT nextval('public.integ_repository_id_seq'::regclass);


--
-- Name: issue_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event ALTER COLUMN id SET DEFAULT nextval('public.issue_event_id_seq'::regclass);


--
-- Name: issue_groupassignee id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee ALTER COLUMN id SET DEFAULT nextval('public.issue_groupassignee_id_seq'::regclass);


--
-- Name: issue_groupbookmark id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark ALTER COLUMN id SET DEFAULT nextval('public.issue_groupbookmark_id_seq'::regclass);


--
-- Name: issue_grouphash id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_grouphash ALTER COLUMN id SET DEFAULT nextval('public.issue_grouphash_id_seq'::regclass);


--
-- Name: notif_settingoption id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingoption ALTER COLUMN id SET DEFAULT nextval('public.notif_settingoption_id_seq'::regclass);


--
-- Name: notif_settingprovider id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingprovider ALTER COLUMN id SET DEFAULT nextval('public.notif_settingprovider_id_seq'::regclass);


--
-- Name: org_auditlogentry id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_auditlogentry ALTER COLUMN id SET DEFAULT nextval('public.org_auditlogentry_id_seq'::regclass);


--
-- Name: org_member id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member ALTER COLUMN id SET DEFAULT nextval('public.org_member_id_seq'::regclass);


--
-- Name: org_membermapping id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_membermapping ALTER COLUMN id SET DEFAULT nextval('public.org_membermapping_id_seq'::regclass);


--
-- Name: org_memberteam id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_memberteam ALTER COLUMN id SET DEFAULT nextval('public.org_memberteam_id_seq'::regclass);


--
-- Name: org_onboardingtask id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_onboardingtask ALTER COLUMN id SET DEFAULT nextval('public.org_onboardingtask_id_seq'::regclass);


--
-- Name: org_option id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_option ALTER COLUMN id SET DEFAULT nextval('public.org_option_id_seq'::regclass);


--
-- Name: org_organizationmapping id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organizationmapping ALTER COLUMN id SET DEFAULT nextval('public.org_organizationmapping_id_seq'::regclass);


--
-- Name: org_team id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_team ALTER COLUMN id SET DEFAULT nextval('public.org_team_id_seq'::regclass);


--
-- Name: proj_environment id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_environment ALTER COLUMN id SET DEFAULT nextval('public.proj_environment_id_seq'::regclass);


--
-- Name: proj_projectkey id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectkey ALTER COLUMN id SET DEFAULT nextval('public.proj_projectkey_id_seq'::regclass);


--
-- Name: proj_projectoption id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectoption ALTER COLUMN id SET DEFAULT nextval('public.proj_projectoption_id_seq'::regclass);


--
-- Name: proj_projectteam id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectteam ALTER COLUMN id SET DEFAULT nextval('public.proj_projectteam_id_seq'::regclass);


--
-- Name: proj_servicehook id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_servicehook ALTER COLUMN id SET DEFAULT nextval('public.proj_servicehook_id_seq'::regclass);


--
-- Name: rel_commit id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_commit ALTER COLUMN id SET DEFAULT nextval('public.rel_commit_id_seq'::regclass);


--
-- Name: rel_deploy id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_deploy ALTER COLUMN id SET DEFAULT nextval('public.rel_deploy_id_seq'::regclass);


--
-- Name: rel_release id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_release ALTER COLUMN id SET DEFAULT nextval('public.rel_release_id_seq'::regclass);


--
-- Name: rel_releaseproject id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_releaseproject ALTER COLUMN id SET DEFAULT nextval('public.rel_releaseproject_id_seq'::regclass);


--
-- Name: alert_incident alert_incident_organization_id_identifier_a5b9e0af_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_incident
    ADD CONSTRAINT alert_incident_organization_id_identifier_a5b9e0af_uniq UNIQUE (organization_id, identifier);


--
-- Name: alert_incident alert_incident_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_incident
    ADD CONSTRAINT alert_incident_pkey PRIMARY KEY (id);


--
-- Name: alert_rule alert_rule_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_rule
    ADD CONSTRAINT alert_rule_pkey PRIMARY KEY (id);


--
-- Name: alert_ruletrigger alert_ruletrigger_alert_rule_id_label_105d2e94_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletrigger
    ADD CONSTRAINT alert_ruletrigger_alert_rule_id_label_105d2e94_uniq UNIQUE (alert_rule_id, label);


--
-- Name: alert_ruletrigger alert_ruletrigger_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletrigger
    ADD CONSTRAINT alert_ruletrigger_pkey PRIMARY KEY (id);


--
-- Name: alert_ruletriggeraction alert_ruletriggeraction_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletriggeraction
    ADD CONSTRAINT alert_ruletriggeraction_pkey PRIMARY KEY (id);


--
-- Name: app_sentryapp app_sentryapp_application_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_application_id_key UNIQUE (application_id);


--
-- Name: app_sentryapp app_sentryapp_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_pkey PRIMARY KEY (id);


--
-- Name: app_sentryapp app_sentryapp_proxy_user_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_proxy_user_id_key UNIQUE (proxy_user_id);


--
-- Name: app_sentryapp app_sentryapp_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_slug_key UNIQUE (slug);


--
-- Name: app_sentryapp app_sentryapp_uuid_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_uuid_key UNIQUE (uuid);


--
-- Name: app_sentryappinstallationtoken app_sentryappinstallatio_sentry_app_installation__7780a27e_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallationtoken
    ADD CONSTRAINT app_sentryappinstallatio_sentry_app_installation__7780a27e_uniq UNIQUE (sentry_app_installation_id, api_token_id);


--
-- Name: app_sentryappinstallation app_sentryappinstallation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallation
    ADD CONSTRAINT app_sentryappinstallation_pkey PRIMARY KEY (id);


--
-- Name: app_sentryappinstallation app_sentryappinstallation_uuid_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallation
    ADD CONSTRAINT app_sentryappinstallation_uuid_key UNIQUE (uuid);


--
-- Name: app_sentryappinstallationtoken app_sentryappinstallationtoken_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallationtoken
    ADD CONSTRAINT app_sentryappinstallationtoken_pkey PRIMARY KEY (id);


--
-- Name: auth_apiapplication auth_apiapplication_client_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apiapplication
    ADD CONSTRAINT auth_apiapplication_client_id_key UNIQUE (client_id);


--
-- Name: auth_apiapplication auth_apiapplication_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apiapplication
    ADD CONSTRAINT auth_apiapplication_pkey PRIMARY KEY (id);


--
-- Name: auth_apigrant auth_apigrant_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apigrant
    ADD CONSTRAINT auth_apigrant_pkey PRIMARY KEY (id);


--
-- Name: auth_apitoken auth_apitoken_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apitoken
    ADD CONSTRAINT auth_apitoken_pkey PRIMARY KEY (id);


--
-- Name: auth_apitoken auth_apitoken_token_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apitoken
    ADD CONSTRAINT auth_apitoken_token_key UNIQUE (token);


--
-- Name: auth_authenticator auth_authenticator_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_authenticator
    ADD CONSTRAINT auth_authenticator_pkey PRIMARY KEY (id);


--
-- Name: auth_authenticator auth_authenticator_user_id_type_96df702b_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_authenticator
    ADD CONSTRAINT auth_authenticator_user_id_type_96df702b_uniq UNIQUE (user_id, type);


--
-- Name: auth_identity auth_identity_idp_id_ident_9189c4b6_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity
    ADD CONSTRAINT auth_identity_idp_id_ident_9189c4b6_uniq UNIQUE (idp_id, ident);


--
-- Name: auth_identity auth_identity_idp_id_user_id_6a6eaf64_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity
    ADD CONSTRAINT auth_identity_idp_id_user_id_6a6eaf64_uniq UNIQUE (idp_id, user_id);


--
-- Name: auth_identity auth_identity_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity
    ADD CONSTRAINT auth_identity_pkey PRIMARY KEY (id);


--
-- Name: auth_identityprovider auth_identityprovider_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identityprovider
    ADD CONSTRAINT auth_identityprovider_pkey PRIMARY KEY (id);


--
-- Name: auth_identityprovider auth_identityprovider_type_external_id_7504b04b_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identityprovider
    ADD CONSTRAINT auth_identityprovider_type_external_id_7504b04b_uniq UNIQUE (type, external_id);


--
-- Name: auth_permission auth_permission_content_type_id_codename_01ab375a_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_codename_01ab375a_uniq UNIQUE (content_type_id, codename);


--
-- Name: auth_permission auth_permission_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_pkey PRIMARY KEY (id);


--
-- Name: auth_user auth_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user
    ADD CONSTRAINT auth_user_pkey PRIMARY KEY (id);


--
-- Name: auth_user_user_permissions auth_user_user_permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_pkey PRIMARY KEY (id);


--
-- Name: auth_user_user_permissions auth_user_user_permissions_user_id_permission_id_14a6b632_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_user_id_permission_id_14a6b632_uniq UNIQUE (user_id, permission_id);


--
-- Name: auth_user auth_user_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user
    ADD CONSTRAINT auth_user_username_key UNIQUE (username);


--
-- Name: auth_useravatar auth_useravatar_ident_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useravatar
    ADD CONSTRAINT auth_useravatar_ident_key UNIQUE (ident);


--
-- Name: auth_useravatar auth_useravatar_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useravatar
    ADD CONSTRAINT auth_useravatar_pkey PRIMARY KEY (id);


--
-- Name: auth_useravatar auth_useravatar_user_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useravatar
    ADD CONSTRAINT auth_useravatar_user_id_key UNIQUE (user_id);


--
-- Name: auth_useremail auth_useremail_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useremail
    ADD CONSTRAINT auth_useremail_pkey PRIMARY KEY (id);


--
-- Name: auth_useremail auth_useremail_user_id_email_ba648f8c_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useremail
    ADD CONSTRAINT auth_useremail_user_id_email_ba648f8c_uniq UNIQUE (user_id, email);


--
-- Name: auth_userip auth_userip_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_userip
    ADD CONSTRAINT auth_userip_pkey PRIMARY KEY (id);


--
-- Name: auth_userip auth_userip_user_id_ip_address_b5432ba9_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_userip
    ADD CONSTRAINT auth_userip_user_id_ip_address_b5432ba9_uniq UNIQUE (user_id, ip_address);


--
-- Name: django_content_type django_content_type_app_label_model_76bd3d3b_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_app_label_model_76bd3d3b_uniq UNIQUE (app_label, model);


--
-- Name: django_content_type django_content_type_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_content_type
    ADD CONSTRAINT django_content_type_pkey PRIMARY KEY (id);


--
-- Name: django_migrations django_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.django_migrations
    ADD CONSTRAINT django_migrations_pkey PRIMARY KEY (id);


--
-- Name: integ_integration integ_integration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_integration
    ADD CONSTRAINT integ_integration_pkey PRIMARY KEY (id);


--
-- Name: integ_integration integ_integration_provider_external_id_f9e92076_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_integration
    ADD CONSTRAINT integ_integration_provider_external_id_f9e92076_uniq UNIQUE (provider, external_id);


--
-- Name: integ_organizationintegration integ_organizationintegr_organization_id_integrat_86c90e9a_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_organizationintegration
    ADD CONSTRAINT integ_organizationintegr_organization_id_integrat_86c90e9a_uniq UNIQUE (organization_id, integration_id);


--
-- Name: integ_organizationintegration integ_organizationintegration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_organizationintegration
    ADD CONSTRAINT integ_organizationintegration_pkey PRIMARY KEY (id);


--
-- Name: integ_repository integ_repository_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_repository
    ADD CONSTRAINT integ_repository_pkey PRIMARY KEY (id);


--
-- Name: issue_event issue_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event
    ADD CONSTRAINT issue_event_pkey PRIMARY KEY (id, date_added);


--
-- Name: issue_event_2024 issue_event_2024_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event_2024
    ADD CONSTRAINT issue_event_2024_pkey PRIMARY KEY (id, date_added);


--
-- Name: issue_event_2025 issue_event_2025_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event_2025
    ADD CONSTRAINT issue_event_2025_pkey PRIMARY KEY (id, date_added);


--
-- Name: issue_event_default issue_event_default_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_event_default
    ADD CONSTRAINT issue_event_default_pkey PRIMARY KEY (id, date_added);


--
-- Name: issue_group issue_group_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_group
    ADD CONSTRAINT issue_group_pkey PRIMARY KEY (id);


--
-- Name: issue_group issue_group_project_id_short_id_f536406b_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_group
    ADD CONSTRAINT issue_group_project_id_short_id_f536406b_uniq UNIQUE (project_id, short_id);


--
-- Name: issue_groupassignee issue_groupassignee_group_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_group_id_key UNIQUE (group_id);


--
-- Name: issue_groupassignee issue_groupassignee_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_pkey PRIMARY KEY (id);


--
-- Name: issue_groupbookmark issue_groupbookmark_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark
    ADD CONSTRAINT issue_groupbookmark_pkey PRIMARY KEY (id);


--
-- Name: issue_groupbookmark issue_groupbookmark_project_id_user_id_group_id_4ba56916_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark
    ADD CONSTRAINT issue_groupbookmark_project_id_user_id_group_id_4ba56916_uniq UNIQUE (project_id, user_id, group_id);


--
-- Name: issue_grouphash issue_grouphash_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_grouphash
    ADD CONSTRAINT issue_grouphash_pkey PRIMARY KEY (id);


--
-- Name: issue_grouphash issue_grouphash_project_id_hash_85c77c6c_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_grouphash
    ADD CONSTRAINT issue_grouphash_project_id_hash_85c77c6c_uniq UNIQUE (project_id, hash);


--
-- Name: notif_settingoption notif_settingoption_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingoption
    ADD CONSTRAINT notif_settingoption_pkey PRIMARY KEY (id);


--
-- Name: notif_settingprovider notif_settingprovider_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingprovider
    ADD CONSTRAINT notif_settingprovider_pkey PRIMARY KEY (id);


--
-- Name: notif_settingprovider notif_settingprovider_user_id_scope_type_scope_d8d0c3c6_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingprovider
    ADD CONSTRAINT notif_settingprovider_user_id_scope_type_scope_d8d0c3c6_uniq UNIQUE (user_id, scope_type, scope_identifier, provider, type);


--
-- Name: org_auditlogentry org_auditlogentry_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_auditlogentry
    ADD CONSTRAINT org_auditlogentry_pkey PRIMARY KEY (id);


--
-- Name: org_member org_member_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_pkey PRIMARY KEY (id);


--
-- Name: org_member org_member_token_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_token_key UNIQUE (token);


--
-- Name: org_membermapping org_membermapping_organizationmember_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_membermapping
    ADD CONSTRAINT org_membermapping_organizationmember_id_key UNIQUE (organizationmember_id);


--
-- Name: org_membermapping org_membermapping_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_membermapping
    ADD CONSTRAINT org_membermapping_pkey PRIMARY KEY (id);


--
-- Name: org_memberteam org_memberteam_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_memberteam
    ADD CONSTRAINT org_memberteam_pkey PRIMARY KEY (id);


--
-- Name: org_memberteam org_memberteam_team_id_organizationmember_id_930acdaf_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_memberteam
    ADD CONSTRAINT org_memberteam_team_id_organizationmember_id_930acdaf_uniq UNIQUE (team_id, organizationmember_id);


--
-- Name: org_onboardingtask org_onboardingtask_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_onboardingtask
    ADD CONSTRAINT org_onboardingtask_pkey PRIMARY KEY (id);


--
-- Name: org_option org_option_organization_id_key_b5bbe7ff_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_option
    ADD CONSTRAINT org_option_organization_id_key_b5bbe7ff_uniq UNIQUE (organization_id, key);


--
-- Name: org_option org_option_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_option
    ADD CONSTRAINT org_option_pkey PRIMARY KEY (id);


--
-- Name: org_organization org_organization_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organization
    ADD CONSTRAINT org_organization_pkey PRIMARY KEY (id);


--
-- Name: org_organization org_organization_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organization
    ADD CONSTRAINT org_organization_slug_key UNIQUE (slug);


--
-- Name: org_organizationmapping org_organizationmapping_organization_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organizationmapping
    ADD CONSTRAINT org_organizationmapping_organization_id_key UNIQUE (organization_id);


--
-- Name: org_organizationmapping org_organizationmapping_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organizationmapping
    ADD CONSTRAINT org_organizationmapping_pkey PRIMARY KEY (id);


--
-- Name: org_organizationmapping org_organizationmapping_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organizationmapping
    ADD CONSTRAINT org_organizationmapping_slug_key UNIQUE (slug);


--
-- Name: org_slugreservation org_slugreservation_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_slugreservation
    ADD CONSTRAINT org_slugreservation_pkey PRIMARY KEY (slug);


--
-- Name: org_team org_team_organization_id_slug_827b08a8_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_team
    ADD CONSTRAINT org_team_organization_id_slug_827b08a8_uniq UNIQUE (organization_id, slug);


--
-- Name: org_team org_team_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_team
    ADD CONSTRAINT org_team_pkey PRIMARY KEY (id);


--
-- Name: proj_environment proj_environment_organization_id_name_8d495aed_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_environment
    ADD CONSTRAINT proj_environment_organization_id_name_8d495aed_uniq UNIQUE (organization_id, name);


--
-- Name: proj_environment proj_environment_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_environment
    ADD CONSTRAINT proj_environment_pkey PRIMARY KEY (id);


--
-- Name: proj_project proj_project_organization_id_slug_d9f195c0_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_project
    ADD CONSTRAINT proj_project_organization_id_slug_d9f195c0_uniq UNIQUE (organization_id, slug);


--
-- Name: proj_project proj_project_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_project
    ADD CONSTRAINT proj_project_pkey PRIMARY KEY (id);


--
-- Name: proj_projectkey proj_projectkey_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectkey
    ADD CONSTRAINT proj_projectkey_pkey PRIMARY KEY (id);


--
-- Name: proj_projectkey proj_projectkey_public_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectkey
    ADD CONSTRAINT proj_projectkey_public_key_key UNIQUE (public_key);


--
-- Name: proj_projectkey proj_projectkey_secret_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectkey
    ADD CONSTRAINT proj_projectkey_secret_key_key UNIQUE (secret_key);


--
-- Name: proj_projectoption proj_projectoption_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectoption
    ADD CONSTRAINT proj_projectoption_pkey PRIMARY KEY (id);


--
-- Name: proj_projectoption proj_projectoption_project_id_key_ba9225de_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectoption
    ADD CONSTRAINT proj_projectoption_project_id_key_ba9225de_uniq UNIQUE (project_id, key);


--
-- Name: proj_projectteam proj_projectteam_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectteam
    ADD CONSTRAINT proj_projectteam_pkey PRIMARY KEY (id);


--
-- Name: proj_projectteam proj_projectteam_project_id_team_id_ef5a2150_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectteam
    ADD CONSTRAINT proj_projectteam_project_id_team_id_ef5a2150_uniq UNIQUE (project_id, team_id);


--
-- Name: proj_servicehook proj_servicehook_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_servicehook
    ADD CONSTRAINT proj_servicehook_pkey PRIMARY KEY (id);


--
-- Name: rel_commit rel_commit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_commit
    ADD CONSTRAINT rel_commit_pkey PRIMARY KEY (id);


--
-- Name: rel_commit rel_commit_repository_id_key_0d4e2a99_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_commit
    ADD CONSTRAINT rel_commit_repository_id_key_0d4e2a99_uniq UNIQUE (repository_id, key);


--
-- Name: rel_deploy rel_deploy_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_deploy
    ADD CONSTRAINT rel_deploy_pkey PRIMARY KEY (id);


--
-- Name: rel_release rel_release_organization_id_version_22bb3f68_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_release
    ADD CONSTRAINT rel_release_organization_id_version_22bb3f68_uniq UNIQUE (organization_id, version);


--
-- Name: rel_release rel_release_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_release
    ADD CONSTRAINT rel_release_pkey PRIMARY KEY (id);


--
-- Name: rel_releaseproject rel_releaseproject_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_releaseproject
    ADD CONSTRAINT rel_releaseproject_pkey PRIMARY KEY (id);


--
-- Name: rel_releaseproject rel_releaseproject_project_id_release_id_6193cb24_uniq; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_releaseproject
    ADD CONSTRAINT rel_releaseproject_project_id_release_id_6193cb24_uniq UNIQUE (project_id, release_id);


--
-- Name: alert_incident_alert_rule_id_1e060c0c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_incident_alert_rule_id_1e060c0c ON public.alert_incident USING btree (alert_rule_id);


--
-- Name: alert_rule_organization_id_5f7c3f22; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_rule_organization_id_5f7c3f22 ON public.alert_rule USING btree (organization_id);


--
-- Name: alert_rule_owner_team_id_eb921c1c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_rule_owner_team_id_eb921c1c ON public.alert_rule USING btree (owner_team_id);


--
-- Name: alert_rule_owner_user_id_3aad5d4b; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_rule_owner_user_id_3aad5d4b ON public.alert_rule USING btree (owner_user_id);


--
-- Name: alert_ruletriggeraction_alert_rule_trigger_id_105e7aa3; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_ruletriggeraction_alert_rule_trigger_id_105e7aa3 ON public.alert_ruletriggeraction USING btree (alert_rule_trigger_id);


--
-- Name: alert_ruletriggeraction_integration_id_0309a3bf; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_ruletriggeraction_integration_id_0309a3bf ON public.alert_ruletriggeraction USING btree (integration_id);


--
-- Name: alert_ruletriggeraction_sentry_app_id_abcef477; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX alert_ruletriggeraction_sentry_app_id_abcef477 ON public.alert_ruletriggeraction USING btree (sentry_app_id);


--
-- Name: app_sentryapp_owner_id_b6972ba6; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_sentryapp_owner_id_b6972ba6 ON public.app_sentryapp USING btree (owner_id);


--
-- Name: app_sentryapp_slug_3c7bf134_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_sentryapp_slug_3c7bf134_like ON public.app_sentryapp USING btree (slug varchar_pattern_ops);


--
-- Name: app_sentryappinstallation_organization_id_f5a9a678; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_sentryappinstallation_organization_id_f5a9a678 ON public.app_sentryappinstallation USING btree (organization_id);


--
-- Name: app_sentryappinstallation_sentry_app_id_ca7b3cdb; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_sentryappinstallation_sentry_app_id_ca7b3cdb ON public.app_sentryappinstallation USING btree (sentry_app_id);


--
-- Name: app_sentryappinstallationtoken_api_token_id_fcab00ee; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX app_sentryappinstallationtoken_api_token_id_fcab00ee ON public.app_sentryappinstallationtoken USING btree (api_token_id);


--
-- Name: auth_apiapplication_owner_id_7bf43d00; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apiapplication_owner_id_7bf43d00 ON public.auth_apiapplication USING btree (owner_id);


--
-- Name: auth_apigrant_application_id_369ca1ad; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apigrant_application_id_369ca1ad ON public.auth_apigrant USING btree (application_id);


--
-- Name: auth_apigrant_code_2335acbe; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apigrant_code_2335acbe ON public.auth_apigrant USING btree (code);


--
-- Name: auth_apigrant_user_id_00e72d08; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apigrant_user_id_00e72d08 ON public.auth_apigrant USING btree (user_id);


--
-- Name: auth_apitoken_application_id_339df46c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apitoken_application_id_339df46c ON public.auth_apitoken USING btree (application_id);


--
-- Name: auth_apitoken_user_id_65447288; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_apitoken_user_id_65447288 ON public.auth_apitoken USING btree (user_id);


--
-- Name: auth_authenticator_user_id_87ceac7e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_authenticator_user_id_87ceac7e ON public.auth_authenticator USING btree (user_id);


--
-- Name: auth_identity_user_id_b393512e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_identity_user_id_b393512e ON public.auth_identity USING btree (user_id);


--
-- Name: auth_identityprovider_organization_id_89bcb650; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_identityprovider_organization_id_89bcb650 ON public.auth_identityprovider USING btree (organization_id);


--
-- Name: auth_permission_content_type_id_2f476e4b; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_permission_content_type_id_2f476e4b ON public.auth_permission USING btree (content_type_id);


--
-- Name: auth_user_lower_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_user_lower_email_idx ON public.auth_user USING btree (lower((email)::text));


--
-- Name: auth_user_user_permissions_permission_id_1fbb5f2c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_user_user_permissions_permission_id_1fbb5f2c ON public.auth_user_user_permissions USING btree (permission_id);


--
-- Name: auth_user_user_permissions_user_id_a95ead1b; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_user_user_permissions_user_id_a95ead1b ON public.auth_user_user_permissions USING btree (user_id);


--
-- Name: auth_user_username_6821ab7c_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_user_username_6821ab7c_like ON public.auth_user USING btree (username varchar_pattern_ops);


--
-- Name: auth_useremail_user_id_66c601aa; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_useremail_user_id_66c601aa ON public.auth_useremail USING btree (user_id);


--
-- Name: auth_userip_user_id_fd641346; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX auth_userip_user_id_fd641346 ON public.auth_userip USING btree (user_id);


--
-- Name: django_content_type_app_label_c3b3f20d; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX django_content_type_app_label_c3b3f20d ON public.django_content_type USING btree (app_label);


--
-- Name: django_migrations_app_bb7e87e3; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX django_migrations_app_bb7e87e3 ON public.django_migrations USING btree (app);


--
-- Name: integ_organizationintegration_integration_id_dccd7ecd; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integ_organizationintegration_integration_id_dccd7ecd ON public.integ_organizationintegration USING btree (integration_id);


--
-- Name: integ_repository_integration_provider_integ_b0b1671a; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integ_repository_integration_provider_integ_b0b1671a ON public.integ_repository USING btree (integration_provider, integration_external_id);


--
-- Name: integ_repository_organization_id_648e2d5f; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX integ_repository_organization_id_648e2d5f ON public.integ_repository USING btree (organization_id);


--
-- Name: issue_event_group_id_date_added_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_group_id_date_added_idx ON ONLY public.issue_event USING btree (group_id, date_added);


--
-- Name: issue_event_2024_group_id_date_added_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_2024_group_id_date_added_idx ON public.issue_event_2024 USING btree (group_id, date_added);


--
-- Name: issue_event_project_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_project_id_idx ON ONLY public.issue_event USING btree (project_id);


--
-- Name: issue_event_2024_project_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_2024_project_id_idx ON public.issue_event_2024 USING btree (project_id);


--
-- Name: issue_event_2025_group_id_date_added_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_2025_group_id_date_added_idx ON public.issue_event_2025 USING btree (group_id, date_added);


--
-- Name: issue_event_2025_project_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_2025_project_id_idx ON public.issue_event_2025 USING btree (project_id);


--
-- Name: issue_event_default_group_id_date_added_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_default_group_id_date_added_idx ON public.issue_event_default USING btree (group_id, date_added);


--
-- Name: issue_event_default_project_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_event_default_project_id_idx ON public.issue_event_default USING btree (project_id);


--
-- Name: issue_group_first_release_id_309fd8f6; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_group_first_release_id_309fd8f6 ON public.issue_group USING btree (first_release_id);


--
-- Name: issue_group_project_id_26a6ba6b; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_group_project_id_26a6ba6b ON public.issue_group USING btree (project_id);


--
-- Name: issue_group_project_status_last_seen_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_group_project_status_last_seen_idx ON public.issue_group USING btree (project_id, status, last_seen DESC);


--
-- Name: issue_groupassignee_project_id_993492d6; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_groupassignee_project_id_993492d6 ON public.issue_groupassignee USING btree (project_id);


--
-- Name: issue_groupassignee_team_id_aad263ab; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_groupassignee_team_id_aad263ab ON public.issue_groupassignee USING btree (team_id);


--
-- Name: issue_groupassignee_user_id_450e0150; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_groupassignee_user_id_450e0150 ON public.issue_groupassignee USING btree (user_id);


--
-- Name: issue_groupbookmark_group_id_9cf62316; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_groupbookmark_group_id_9cf62316 ON public.issue_groupbookmark USING btree (group_id);


--
-- Name: issue_groupbookmark_user_id_ae5b244c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_groupbookmark_user_id_ae5b244c ON public.issue_groupbookmark USING btree (user_id);


--
-- Name: issue_grouphash_group_id_ab1acd75; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX issue_grouphash_group_id_ab1acd75 ON public.issue_grouphash USING btree (group_id);


--
-- Name: issue_project_counts_mv_project_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX issue_project_counts_mv_project_id_idx ON public.issue_project_counts_mv USING btree (project_id);


--
-- Name: notif_settingoption_project_id_e2d81003; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notif_settingoption_project_id_e2d81003 ON public.notif_settingoption USING btree (project_id);


--
-- Name: notif_settingoption_scope_uniq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX notif_settingoption_scope_uniq ON public.notif_settingoption USING btree (scope_type, scope_identifier, user_id, type);


--
-- Name: notif_settingoption_user_id_18c45684; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX notif_settingoption_user_id_18c45684 ON public.notif_settingoption USING btree (user_id);


--
-- Name: org_auditlogentry_actor_id_296c0f86; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_auditlogentry_actor_id_296c0f86 ON public.org_auditlogentry USING btree (actor_id);


--
-- Name: org_auditlogentry_org_datetime_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_auditlogentry_org_datetime_idx ON public.org_auditlogentry USING btree (organization_id, datetime DESC);


--
-- Name: org_auditlogentry_organization_id_05cd9e4e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_auditlogentry_organization_id_05cd9e4e ON public.org_auditlogentry USING btree (organization_id);


--
-- Name: org_auditlogentry_target_user_id_310132ce; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_auditlogentry_target_user_id_310132ce ON public.org_auditlogentry USING btree (target_user_id);


--
-- Name: org_member_inviter_id_a10a12f4; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_member_inviter_id_a10a12f4 ON public.org_member USING btree (inviter_id);


--
-- Name: org_member_organization_email_uniq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX org_member_organization_email_uniq ON public.org_member USING btree (organization_id, email) WHERE ((user_id IS NULL) AND (email IS NOT NULL));


--
-- Name: org_member_organization_id_ee0c1193; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_member_organization_id_ee0c1193 ON public.org_member USING btree (organization_id);


--
-- Name: org_member_organization_user_uniq; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX org_member_organization_user_uniq ON public.org_member USING btree (organization_id, user_id) WHERE (user_id IS NOT NULL);


--
-- Name: org_member_user_id_bf83af8e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_member_user_id_bf83af8e ON public.org_member USING btree (user_id);


--
-- Name: org_membermapping_inviter_id_f8cc2832; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_membermapping_inviter_id_f8cc2832 ON public.org_membermapping USING btree (inviter_id);


--
-- Name: org_membermapping_organization_id_aed055c7; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_membermapping_organization_id_aed055c7 ON public.org_membermapping USING btree (organization_id);


--
-- Name: org_memberteam_organizationmember_id_d3e3985e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_memberteam_organizationmember_id_d3e3985e ON public.org_memberteam USING btree (organizationmember_id);


--
-- Name: org_onboardingtask_organization_id_09be460c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_onboardingtask_organization_id_09be460c ON public.org_onboardingtask USING btree (organization_id);


--
-- Name: org_onboardingtask_project_id_42ebcc40; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_onboardingtask_project_id_42ebcc40 ON public.org_onboardingtask USING btree (project_id);


--
-- Name: org_onboardingtask_user_id_10d44f1b; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_onboardingtask_user_id_10d44f1b ON public.org_onboardingtask USING btree (user_id);


--
-- Name: org_organization_slug_81464055_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_organization_slug_81464055_like ON public.org_organization USING btree (slug varchar_pattern_ops);


--
-- Name: org_organizationmapping_slug_72a0a0f0_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_organizationmapping_slug_72a0a0f0_like ON public.org_organizationmapping USING btree (slug varchar_pattern_ops);


--
-- Name: org_slugreservation_slug_3b5cb744_like; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_slugreservation_slug_3b5cb744_like ON public.org_slugreservation USING btree (slug varchar_pattern_ops);


--
-- Name: org_team_organization_id_bfd6103c; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX org_team_organization_id_bfd6103c ON public.org_team USING btree (organization_id);


--
-- Name: proj_project_organization_id_de680970; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_project_organization_id_de680970 ON public.proj_project USING btree (organization_id);


--
-- Name: proj_projectkey_project_id_db97e7da; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_projectkey_project_id_db97e7da ON public.proj_projectkey USING btree (project_id);


--
-- Name: proj_projectteam_team_id_4dc53eee; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_projectteam_team_id_4dc53eee ON public.proj_projectteam USING btree (team_id);


--
-- Name: proj_servicehook_organization_id_f93278fe; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_servicehook_organization_id_f93278fe ON public.proj_servicehook USING btree (organization_id);


--
-- Name: proj_servicehook_project_id_be68c71f; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_servicehook_project_id_be68c71f ON public.proj_servicehook USING btree (project_id);


--
-- Name: proj_servicehook_sentry_app_uuid_30226cb8; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX proj_servicehook_sentry_app_uuid_30226cb8 ON public.proj_servicehook USING btree (sentry_app_uuid);


--
-- Name: rel_commit_organization_id_afaa0e4e; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rel_commit_organization_id_afaa0e4e ON public.rel_commit USING btree (organization_id);


--
-- Name: rel_deploy_environment_id_4555b436; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rel_deploy_environment_id_4555b436 ON public.rel_deploy USING btree (environment_id);


--
-- Name: rel_deploy_release_id_1392afe6; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rel_deploy_release_id_1392afe6 ON public.rel_deploy USING btree (release_id);


--
-- Name: rel_release_owner_id_73a210ab; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rel_release_owner_id_73a210ab ON public.rel_release USING btree (owner_id);


--
-- Name: rel_releaseproject_release_id_0509534d; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rel_releaseproject_release_id_0509534d ON public.rel_releaseproject USING btree (release_id);


--
-- Name: issue_event_2024_group_id_date_added_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_group_id_date_added_idx ATTACH PARTITION public.issue_event_2024_group_id_date_added_idx;


--
-- Name: issue_event_2024_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_pkey ATTACH PARTITION public.issue_event_2024_pkey;


--
-- Name: issue_event_2024_project_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_project_id_idx ATTACH PARTITION public.issue_event_2024_project_id_idx;


--
-- Name: issue_event_2025_group_id_date_added_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_group_id_date_added_idx ATTACH PARTITION public.issue_event_2025_group_id_date_added_idx;


--
-- Name: issue_event_2025_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_pkey ATTACH PARTITION public.issue_event_2025_pkey;


--
-- Name: issue_event_2025_project_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_project_id_idx ATTACH PARTITION public.issue_event_2025_project_id_idx;


--
-- Name: issue_event_default_group_id_date_added_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_group_id_date_added_idx ATTACH PARTITION public.issue_event_default_group_id_date_added_idx;


--
-- Name: issue_event_default_pkey; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_pkey ATTACH PARTITION public.issue_event_default_pkey;


--
-- Name: issue_event_default_project_id_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.issue_event_project_id_idx ATTACH PARTITION public.issue_event_default_project_id_idx;


--
-- Name: org_organization org_organization_sync_mapping_trg; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER org_organization_sync_mapping_trg AFTER UPDATE OF slug, name, status ON public.org_organization FOR EACH ROW WHEN ((((old.slug)::text IS DISTINCT FROM (new.slug)::text) OR ((old.name)::text IS DISTINCT FROM (new.name)::text) OR (old.status IS DISTINCT FROM new.status))) EXECUTE FUNCTION public.org_organization_sync_mapping();


--
-- Name: alert_incident alert_incident_alert_rule_id_1e060c0c_fk_alert_rule_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_incident
    ADD CONSTRAINT alert_incident_alert_rule_id_1e060c0c_fk_alert_rule_id FOREIGN KEY (alert_rule_id) REFERENCES public.alert_rule(id) ON DELETE SET NULL;


--
-- Name: alert_incident alert_incident_organization_id_8ccf3003_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_incident
    ADD CONSTRAINT alert_incident_organization_id_8ccf3003_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: alert_rule alert_rule_organization_id_5f7c3f22_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_rule
    ADD CONSTRAINT alert_rule_organization_id_5f7c3f22_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: alert_rule alert_rule_owner_team_id_eb921c1c_fk_org_team_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_rule
    ADD CONSTRAINT alert_rule_owner_team_id_eb921c1c_fk_org_team_id FOREIGN KEY (owner_team_id) REFERENCES public.org_team(id) ON DELETE SET NULL;


--
-- Name: alert_rule alert_rule_owner_user_id_3aad5d4b_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_rule
    ADD CONSTRAINT alert_rule_owner_user_id_3aad5d4b_fk_auth_user_id FOREIGN KEY (owner_user_id) REFERENCES public.auth_user(id) ON DELETE SET NULL;


--
-- Name: alert_ruletrigger alert_ruletrigger_alert_rule_id_073134df_fk_alert_rule_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletrigger
    ADD CONSTRAINT alert_ruletrigger_alert_rule_id_073134df_fk_alert_rule_id FOREIGN KEY (alert_rule_id) REFERENCES public.alert_rule(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: alert_ruletriggeraction alert_ruletriggeract_alert_rule_trigger_i_105e7aa3_fk_alert_rul; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletriggeraction
    ADD CONSTRAINT alert_ruletriggeract_alert_rule_trigger_i_105e7aa3_fk_alert_rul FOREIGN KEY (alert_rule_trigger_id) REFERENCES public.alert_ruletrigger(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: alert_ruletriggeraction alert_ruletriggeract_integration_id_0309a3bf_fk_integ_int; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletriggeraction
    ADD CONSTRAINT alert_ruletriggeract_integration_id_0309a3bf_fk_integ_int FOREIGN KEY (integration_id) REFERENCES public.integ_integration(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: alert_ruletriggeraction alert_ruletriggeract_sentry_app_id_abcef477_fk_app_sentr; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.alert_ruletriggeraction
    ADD CONSTRAINT alert_ruletriggeract_sentry_app_id_abcef477_fk_app_sentr FOREIGN KEY (sentry_app_id) REFERENCES public.app_sentryapp(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: app_sentryapp app_sentryapp_application_id_489fede2_fk_auth_apiapplication_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_application_id_489fede2_fk_auth_apiapplication_id FOREIGN KEY (application_id) REFERENCES public.auth_apiapplication(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: app_sentryapp app_sentryapp_owner_id_b6972ba6_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_owner_id_b6972ba6_fk_org_organization_id FOREIGN KEY (owner_id) REFERENCES public.org_organization(id) ON DELETE SET NULL;


--
-- Name: app_sentryapp app_sentryapp_proxy_user_id_d472d137_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryapp
    ADD CONSTRAINT app_sentryapp_proxy_user_id_d472d137_fk_auth_user_id FOREIGN KEY (proxy_user_id) REFERENCES public.auth_user(id) ON DELETE SET NULL;


--
-- Name: app_sentryappinstallationtoken app_sentryappinstall_api_token_id_fcab00ee_fk_auth_apit; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallationtoken
    ADD CONSTRAINT app_sentryappinstall_api_token_id_fcab00ee_fk_auth_apit FOREIGN KEY (api_token_id) REFERENCES public.auth_apitoken(id) ON DELETE CASCADE;


--
-- Name: app_sentryappinstallation app_sentryappinstall_organization_id_f5a9a678_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallation
    ADD CONSTRAINT app_sentryappinstall_organization_id_f5a9a678_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: app_sentryappinstallation app_sentryappinstall_sentry_app_id_ca7b3cdb_fk_app_sentr; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallation
    ADD CONSTRAINT app_sentryappinstall_sentry_app_id_ca7b3cdb_fk_app_sentr FOREIGN KEY (sentry_app_id) REFERENCES public.app_sentryapp(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: app_sentryappinstallationtoken app_sentryappinstall_sentry_app_installat_8638837f_fk_app_sentr; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.app_sentryappinstallationtoken
    ADD CONSTRAINT app_sentryappinstall_sentry_app_installat_8638837f_fk_app_sentr FOREIGN KEY (sentry_app_installation_id) REFERENCES public.app_sentryappinstallation(id) ON DELETE CASCADE;


--
-- Name: auth_apiapplication auth_apiapplication_owner_id_7bf43d00_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apiapplication
    ADD CONSTRAINT auth_apiapplication_owner_id_7bf43d00_fk_auth_user_id FOREIGN KEY (owner_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_apigrant auth_apigrant_application_id_369ca1ad_fk_auth_apiapplication_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apigrant
    ADD CONSTRAINT auth_apigrant_application_id_369ca1ad_fk_auth_apiapplication_id FOREIGN KEY (application_id) REFERENCES public.auth_apiapplication(id) ON DELETE CASCADE;


--
-- Name: auth_apigrant auth_apigrant_user_id_00e72d08_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apigrant
    ADD CONSTRAINT auth_apigrant_user_id_00e72d08_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_apitoken auth_apitoken_application_id_339df46c_fk_auth_apiapplication_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apitoken
    ADD CONSTRAINT auth_apitoken_application_id_339df46c_fk_auth_apiapplication_id FOREIGN KEY (application_id) REFERENCES public.auth_apiapplication(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_apitoken auth_apitoken_user_id_65447288_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_apitoken
    ADD CONSTRAINT auth_apitoken_user_id_65447288_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: auth_authenticator auth_authenticator_user_id_87ceac7e_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_authenticator
    ADD CONSTRAINT auth_authenticator_user_id_87ceac7e_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_identity auth_identity_idp_id_dcbf970b_fk_auth_identityprovider_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity
    ADD CONSTRAINT auth_identity_idp_id_dcbf970b_fk_auth_identityprovider_id FOREIGN KEY (idp_id) REFERENCES public.auth_identityprovider(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_identity auth_identity_user_id_b393512e_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identity
    ADD CONSTRAINT auth_identity_user_id_b393512e_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_identityprovider auth_identityprovide_organization_id_89bcb650_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_identityprovider
    ADD CONSTRAINT auth_identityprovide_organization_id_89bcb650_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_permission auth_permission_content_type_id_2f476e4b_fk_django_co; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_permission
    ADD CONSTRAINT auth_permission_content_type_id_2f476e4b_fk_django_co FOREIGN KEY (content_type_id) REFERENCES public.django_content_type(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_user_user_permissions auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm FOREIGN KEY (permission_id) REFERENCES public.auth_permission(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_user_user_permissions auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_user_user_permissions
    ADD CONSTRAINT auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_useravatar auth_useravatar_user_id_51543c63_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useravatar
    ADD CONSTRAINT auth_useravatar_user_id_51543c63_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_useremail auth_useremail_user_id_66c601aa_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_useremail
    ADD CONSTRAINT auth_useremail_user_id_66c601aa_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: auth_userip auth_userip_user_id_fd641346_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.auth_userip
    ADD CONSTRAINT auth_userip_user_id_fd641346_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: integ_organizationintegration integ_organizationin_integration_id_dccd7ecd_fk_integ_int; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_organizationintegration
    ADD CONSTRAINT integ_organizationin_integration_id_dccd7ecd_fk_integ_int FOREIGN KEY (integration_id) REFERENCES public.integ_integration(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: integ_organizationintegration integ_organizationin_organization_id_629af924_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_organizationintegration
    ADD CONSTRAINT integ_organizationin_organization_id_629af924_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: integ_repository integ_repository_integration_provider_b0b1671a_fk_integ_int; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_repository
    ADD CONSTRAINT integ_repository_integration_provider_b0b1671a_fk_integ_int FOREIGN KEY (integration_provider, integration_external_id) REFERENCES public.integ_integration(provider, external_id) ON DELETE SET NULL;


--
-- Name: integ_repository integ_repository_organization_id_648e2d5f_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.integ_repository
    ADD CONSTRAINT integ_repository_organization_id_648e2d5f_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_event issue_event_group_id_fk_issue_group_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.issue_event
    ADD CONSTRAINT issue_event_group_id_fk_issue_group_id FOREIGN KEY (group_id) REFERENCES public.issue_group(id) ON DELETE CASCADE;


--
-- Name: issue_event issue_event_project_id_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.issue_event
    ADD CONSTRAINT issue_event_project_id_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_group issue_group_first_release_id_309fd8f6_fk_rel_release_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_group
    ADD CONSTRAINT issue_group_first_release_id_309fd8f6_fk_rel_release_id FOREIGN KEY (first_release_id) REFERENCES public.rel_release(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_group issue_group_project_id_26a6ba6b_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_group
    ADD CONSTRAINT issue_group_project_id_26a6ba6b_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupassignee issue_groupassignee_group_id_3434ce06_fk_issue_group_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_group_id_3434ce06_fk_issue_group_id FOREIGN KEY (group_id) REFERENCES public.issue_group(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupassignee issue_groupassignee_project_id_993492d6_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_project_id_993492d6_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupassignee issue_groupassignee_team_id_aad263ab_fk_org_team_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_team_id_aad263ab_fk_org_team_id FOREIGN KEY (team_id) REFERENCES public.org_team(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupassignee issue_groupassignee_user_id_450e0150_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupassignee
    ADD CONSTRAINT issue_groupassignee_user_id_450e0150_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupbookmark issue_groupbookmark_group_id_9cf62316_fk_issue_group_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark
    ADD CONSTRAINT issue_groupbookmark_group_id_9cf62316_fk_issue_group_id FOREIGN KEY (group_id) REFERENCES public.issue_group(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupbookmark issue_groupbookmark_project_id_699b40d6_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark
    ADD CONSTRAINT issue_groupbookmark_project_id_699b40d6_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_groupbookmark issue_groupbookmark_user_id_ae5b244c_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_groupbookmark
    ADD CONSTRAINT issue_groupbookmark_user_id_ae5b244c_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_grouphash issue_grouphash_group_id_ab1acd75_fk_issue_group_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_grouphash
    ADD CONSTRAINT issue_grouphash_group_id_ab1acd75_fk_issue_group_id FOREIGN KEY (group_id) REFERENCES public.issue_group(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: issue_grouphash issue_grouphash_project_id_9e6297d1_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.issue_grouphash
    ADD CONSTRAINT issue_grouphash_project_id_9e6297d1_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: notif_settingoption notif_settingoption_project_id_e2d81003_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingoption
    ADD CONSTRAINT notif_settingoption_project_id_e2d81003_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;


--
-- Name: notif_settingoption notif_settingoption_user_id_18c45684_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingoption
    ADD CONSTRAINT notif_settingoption_user_id_18c45684_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: notif_settingprovider notif_settingprovider_user_id_af99df6b_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.notif_settingprovider
    ADD CONSTRAINT notif_settingprovider_user_id_af99df6b_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: org_auditlogentry org_auditlogentry_actor_id_296c0f86_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_auditlogentry
    ADD CONSTRAINT org_auditlogentry_actor_id_296c0f86_fk_auth_user_id FOREIGN KEY (actor_id) REFERENCES public.auth_user(id) ON DELETE SET NULL;


--
-- Name: org_auditlogentry org_auditlogentry_organization_id_05cd9e4e_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_auditlogentry
    ADD CONSTRAINT org_auditlogentry_organization_id_05cd9e4e_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_auditlogentry org_auditlogentry_target_user_id_310132ce_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_auditlogentry
    ADD CONSTRAINT org_auditlogentry_target_user_id_310132ce_fk_auth_user_id FOREIGN KEY (target_user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_member org_member_inviter_id_a10a12f4_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_inviter_id_a10a12f4_fk_auth_user_id FOREIGN KEY (inviter_id) REFERENCES public.auth_user(id) ON DELETE SET NULL;


--
-- Name: org_member org_member_organization_id_ee0c1193_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_organization_id_ee0c1193_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) ON DELETE CASCADE;


--
-- Name: org_member org_member_user_id_bf83af8e_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_member
    ADD CONSTRAINT org_member_user_id_bf83af8e_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) ON DELETE CASCADE;


--
-- Name: org_membermapping org_membermapping_inviter_id_f8cc2832_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_membermapping
    ADD CONSTRAINT org_membermapping_inviter_id_f8cc2832_fk_auth_user_id FOREIGN KEY (inviter_id) REFERENCES public.auth_user(id) ON DELETE SET NULL;


--
-- Name: org_membermapping org_membermapping_organizationmember_i_be1a3b28_fk_org_membe; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_membermapping
    ADD CONSTRAINT org_membermapping_organizationmember_i_be1a3b28_fk_org_membe FOREIGN KEY (organizationmember_id) REFERENCES public.org_member(id) ON DELETE CASCADE;


--
-- Name: org_memberteam org_memberteam_organizationmember_id_d3e3985e_fk_org_member_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_memberteam
    ADD CONSTRAINT org_memberteam_organizationmember_id_d3e3985e_fk_org_member_id FOREIGN KEY (organizationmember_id) REFERENCES public.org_member(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_memberteam org_memberteam_team_id_155d90a8_fk_org_team_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_memberteam
    ADD CONSTRAINT org_memberteam_team_id_155d90a8_fk_org_team_id FOREIGN KEY (team_id) REFERENCES public.org_team(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_onboardingtask org_onboardingtask_organization_id_09be460c_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_onboardingtask
    ADD CONSTRAINT org_onboardingtask_organization_id_09be460c_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_onboardingtask org_onboardingtask_project_id_42ebcc40_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_onboardingtask
    ADD CONSTRAINT org_onboardingtask_project_id_42ebcc40_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) ON DELETE SET NULL;


--
-- Name: org_onboardingtask org_onboardingtask_user_id_10d44f1b_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_onboardingtask
    ADD CONSTRAINT org_onboardingtask_user_id_10d44f1b_fk_auth_user_id FOREIGN KEY (user_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_option org_option_organization_id_d93995a2_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_option
    ADD CONSTRAINT org_option_organization_id_d93995a2_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: org_organization org_organization_slug_81464055_fk_org_slugreservation_slug; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organization
    ADD CONSTRAINT org_organization_slug_81464055_fk_org_slugreservation_slug FOREIGN KEY (slug) REFERENCES public.org_slugreservation(slug) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: org_organizationmapping org_organizationmapp_organization_id_6893c12c_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_organizationmapping
    ADD CONSTRAINT org_organizationmapp_organization_id_6893c12c_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) ON DELETE CASCADE;


--
-- Name: org_team org_team_organization_id_bfd6103c_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.org_team
    ADD CONSTRAINT org_team_organization_id_bfd6103c_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_environment proj_environment_organization_id_6282d819_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_environment
    ADD CONSTRAINT proj_environment_organization_id_6282d819_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_project proj_project_organization_id_de680970_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_project
    ADD CONSTRAINT proj_project_organization_id_de680970_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_projectkey proj_projectkey_project_id_db97e7da_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectkey
    ADD CONSTRAINT proj_projectkey_project_id_db97e7da_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) ON DELETE CASCADE DEFERRABLE;


--
-- Name: proj_projectoption proj_projectoption_project_id_e7ac0a06_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectoption
    ADD CONSTRAINT proj_projectoption_project_id_e7ac0a06_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_projectteam proj_projectteam_project_id_c8ffba55_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectteam
    ADD CONSTRAINT proj_projectteam_project_id_c8ffba55_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_projectteam proj_projectteam_team_id_4dc53eee_fk_org_team_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_projectteam
    ADD CONSTRAINT proj_projectteam_team_id_4dc53eee_fk_org_team_id FOREIGN KEY (team_id) REFERENCES public.org_team(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_servicehook proj_servicehook_organization_id_f93278fe_fk_org_organ; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_servicehook
    ADD CONSTRAINT proj_servicehook_organization_id_f93278fe_fk_org_organ FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_servicehook proj_servicehook_project_id_be68c71f_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_servicehook
    ADD CONSTRAINT proj_servicehook_project_id_be68c71f_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: proj_servicehook proj_servicehook_sentry_app_uuid_30226cb8_fk_app_sentryapp_uuid; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.proj_servicehook
    ADD CONSTRAINT proj_servicehook_sentry_app_uuid_30226cb8_fk_app_sentryapp_uuid FOREIGN KEY (sentry_app_uuid) REFERENCES public.app_sentryapp(uuid) ON DELETE SET NULL;


--
-- Name: rel_commit rel_commit_organization_id_afaa0e4e_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_commit
    ADD CONSTRAINT rel_commit_organization_id_afaa0e4e_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_commit rel_commit_repository_id_64d7bd8d_fk_integ_repository_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_commit
    ADD CONSTRAINT rel_commit_repository_id_64d7bd8d_fk_integ_repository_id FOREIGN KEY (repository_id) REFERENCES public.integ_repository(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_deploy rel_deploy_environment_id_4555b436_fk_proj_environment_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_deploy
    ADD CONSTRAINT rel_deploy_environment_id_4555b436_fk_proj_environment_id FOREIGN KEY (environment_id) REFERENCES public.proj_environment(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_deploy rel_deploy_organization_id_85513b3a_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_deploy
    ADD CONSTRAINT rel_deploy_organization_id_85513b3a_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_deploy rel_deploy_release_id_1392afe6_fk_rel_release_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_deploy
    ADD CONSTRAINT rel_deploy_release_id_1392afe6_fk_rel_release_id FOREIGN KEY (release_id) REFERENCES public.rel_release(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_release rel_release_organization_id_9e467322_fk_org_organization_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_release
    ADD CONSTRAINT rel_release_organization_id_9e467322_fk_org_organization_id FOREIGN KEY (organization_id) REFERENCES public.org_organization(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_release rel_release_owner_id_73a210ab_fk_auth_user_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_release
    ADD CONSTRAINT rel_release_owner_id_73a210ab_fk_auth_user_id FOREIGN KEY (owner_id) REFERENCES public.auth_user(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_releaseproject rel_releaseproject_project_id_f82f4641_fk_proj_project_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_releaseproject
    ADD CONSTRAINT rel_releaseproject_project_id_f82f4641_fk_proj_project_id FOREIGN KEY (project_id) REFERENCES public.proj_project(id) DEFERRABLE INITIALLY DEFERRED;


--
-- Name: rel_releaseproject rel_releaseproject_release_id_0509534d_fk_rel_release_id; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rel_releaseproject
    ADD CONSTRAINT rel_releaseproject_release_id_0509534d_fk_rel_release_id FOREIGN KEY (release_id) REFERENCES public.rel_release(id) DEFERRABLE INITIALLY DEFERRED;


--
-- PostgreSQL database dump complete
--

\unrestrict Zxwyilqtqp1j2pkNHtgvRjnybeBOzuDBeV8yZQeI6ZQP4qhFQT0iUaGvXEI2Zgb

